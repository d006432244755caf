from django import forms

from guide.models import Guide
from seminar.models import ANSWER_MAX_LENGTH, NAME_MAX_LENGTH


class JoinCodeForm(forms.Form):
    code = forms.CharField(
        label="Join code",
        max_length=20,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "class": "code-input",
                "inputmode": "text",
                "autofocus": True,
            }
        ),
    )


class JoinNameForm(forms.Form):
    # Emptiness, length (after trimming) and characters are the service's rules, one message each.
    name = forms.CharField(
        label="Your name",
        required=False,
        strip=False,
        max_length=NAME_MAX_LENGTH * 4,
        widget=forms.TextInput(attrs={"autocomplete": "nickname", "autofocus": True}),
    )


class ReplyForm(forms.Form):
    # The service says what is wrong with a move or a text, one message each.
    move = forms.CharField(required=False, max_length=20)
    text = forms.CharField(required=False, strip=False)
    client_token = forms.UUIDField(required=False)


class GuideChoiceField(forms.ModelChoiceField):
    """Only the id as the form sends it: int() would also take "١" (an Arabic-Indic one)."""

    def to_python(self, value):
        if value not in self.empty_values and not str(value).strip().isascii():
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            )
        return super().to_python(value)


class SessionStartForm(forms.Form):
    guide = GuideChoiceField(queryset=Guide.objects.none(), empty_label=None, label="Study guide")
    title = forms.CharField(label="Title (optional)", max_length=200, required=False)
    names_hidden = forms.BooleanField(
        label="Hide students' names on the board", required=False, initial=True
    )
    answer_first = forms.BooleanField(
        label="Answer first: students see classmates' answers only after posting their own",
        required=False,
        initial=True,
    )
    approve_first = forms.BooleanField(
        label="Approve first: new answers and replies wait for your review before the class "
        "sees them",
        required=False,
        initial=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["guide"].queryset = Guide.objects.latest_versions().order_by("title")


class AnswerForm(forms.Form):
    # Length and emptiness are checked by the service so the message is the same everywhere;
    # the form only bounds what it reads.
    text = forms.CharField(
        label="Your answer",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": ANSWER_MAX_LENGTH}),
    )
    client_token = forms.UUIDField(required=False, widget=forms.HiddenInput)
