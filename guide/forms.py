"""Forms for importing a guide in the browser: upload or paste, preview, then confirm."""

from pathlib import PurePath

from django import forms

from guide.importer import GuideFormatError, decode_guide_bytes, parse_guide

MAX_GUIDE_BYTES = 1_000_000
TOO_LARGE = (
    "The guide is larger than 1 MB. A study guide is a few pages of text: is this the right file?"
)
PASTED = "pasted text"


class GuideTextForm(forms.Form):
    """A guide's text, parsed on every submit: the server never trusts an earlier preview.

    After `is_valid()`: cleaned_data["parsed"] is the ParsedGuide; on a format error,
    `format_error` is the GuideFormatError and `error_line` the text of the line it names.
    """

    text = forms.CharField(
        label="Guide text",
        required=False,
        strip=False,
        max_length=MAX_GUIDE_BYTES,
        error_messages={"max_length": TOO_LARGE},
    )
    filename = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)

    format_error: GuideFormatError | None = None
    error_line: str = ""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean_filename(self):
        # Only ever shown in messages; never used as a path.
        return PurePath(self.cleaned_data["filename"]).name[:100] or PASTED

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        text = cleaned.get("text", "")
        if not text.strip():
            raise forms.ValidationError("Choose a guide file or paste the guide's text.")
        self._parse(text, cleaned["filename"], field="text")
        return cleaned

    def _parse(self, text: str, filename: str, *, field: str) -> None:
        try:
            self.cleaned_data["parsed"] = parse_guide(text, filename=filename)
        except GuideFormatError as error:
            self._fail(error, field, text)

    def _fail(self, error: GuideFormatError, field: str, text: str = "") -> None:
        self.format_error = error
        lines = text.splitlines()
        if error.line and error.line <= len(lines):
            self.error_line = lines[error.line - 1].strip()
        self.add_error(field, _describe(error))


class GuideImportForm(GuideTextForm):
    """Upload a file or paste text; a chosen file wins over pasted text."""

    file = forms.FileField(
        label="Guide file",
        required=False,
        help_text="A .txt or .md file in the study-guide shape, up to 1 MB.",
        widget=forms.ClearableFileInput(
            attrs={"accept": ".txt,.md,.markdown,text/plain,text/markdown"}
        ),
    )
    field_order = ["file", "text"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["text"].widget = forms.Textarea(attrs={"rows": 14, "spellcheck": "false"})
        self.fields["text"].help_text = "Or paste the guide here, as plain text or Markdown."

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload and upload.size > MAX_GUIDE_BYTES:
            raise forms.ValidationError(TOO_LARGE)
        return upload

    def clean(self):
        upload = self.cleaned_data.get("file")
        if not upload or self.errors:
            return super().clean()
        filename = PurePath(upload.name).name[:100]
        self.cleaned_data["filename"] = filename
        try:
            text = decode_guide_bytes(upload.read(), filename)
        except GuideFormatError as error:
            self._fail(error, "file")
            return self.cleaned_data
        self.cleaned_data["text"] = text
        self._parse(text, filename, field="file")
        if self.format_error:
            # Show the file's text in the text box, so the mistake can be fixed right here.
            self.data = self.data.copy()
            self.data[self.add_prefix("text")] = text
        return self.cleaned_data


class GuideConfirmForm(GuideTextForm):
    """The previewed text, carried in hidden fields and parsed again on confirm."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["text"].widget = forms.HiddenInput()


def _describe(error: GuideFormatError) -> str:
    """'guide.md, line 12: …' for a file, 'Line 12: …' for pasted text."""
    message = f"line {error.line}: {error.message}" if error.line else error.message
    if error.filename != PASTED:
        return f"{error.filename}{',' if error.line else ':'} {message}"
    return message[0].upper() + message[1:]
