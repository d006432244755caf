"""The live session: who is in it, where the walk is, and what the class wrote."""

import hashlib
import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse

from guide.models import Guide, Question
from seminar import terms

ANSWER_MAX_LENGTH = 2000
NAME_MAX_LENGTH = 40


class Session(models.Model):
    class BoardOrder(models.TextChoices):
        NEWEST = "newest", "Newest first"
        VOTES = "votes", "Most votes first"

    class BoardTheme(models.TextChoices):
        LIGHT = "light", "Light"
        DARK = "dark", "Dark"

    # Unique for all time, not only among live sessions, so a summary's URL never changes owner.
    code = models.CharField(max_length=6, unique=True)
    guide = models.ForeignKey(Guide, on_delete=models.PROTECT, related_name="sessions")
    facilitator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="seminar_sessions"
    )
    # People the facilitator shared the session with: they run and read it as the facilitator
    # does, but only the facilitator shares it further or deletes it.
    co_facilitators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="co_facilitated_sessions"
    )
    title = models.CharField(max_length=200, blank=True)
    names_hidden = models.BooleanField(
        default=True, help_text="Show answers on the board without students' names."
    )
    answer_first = models.BooleanField(
        default=True,
        help_text="Students see classmates' answers to a question only after posting their own.",
    )
    approve_first = models.BooleanField(
        default=False,
        help_text="New answers wait for the facilitator's approval before anyone else sees them.",
    )
    board_order = models.CharField(
        max_length=10, choices=BoardOrder.choices, default=BoardOrder.NEWEST
    )
    # Chosen on the console for the room's projector: the board itself has no controls.
    board_theme = models.CharField(
        max_length=10, choices=BoardTheme.choices, default=BoardTheme.LIGHT
    )
    current_step = models.PositiveIntegerField(default=0)
    # Pages turned on the board from the console (+1 next, -1 previous): the board turns by
    # the difference from what it last saw. Which page is on screen stays the projector's.
    board_turns = models.IntegerField(default=0)
    # The answer on the board for the class to discuss, if any (SpotlightLog keeps the times).
    spotlight = models.ForeignKey(
        "Answer", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Bumped by every change that is broadcast: a client that sees a gap re-syncs.
    version = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.code} · {self.display_title}"

    def get_absolute_url(self):
        return reverse("seminar:room", args=[self.code])

    @property
    def display_title(self):
        return self.title or self.guide.title

    @property
    def is_live(self):
        return self.ended_at is None

    def is_facilitated_by(self, user) -> bool:
        """The one rule for who may run and read this session: its facilitator and the people
        they shared it with. Not staff, not superusers (they have the Django admin)."""
        if user is None or not user.is_authenticated or not user.is_active:
            return False
        if user.pk == self.facilitator_id:
            return True
        return self.co_facilitators.filter(pk=user.pk).exists()


class Participant(models.Model):
    """A student in one session, known by the browser that joined (no account)."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="participants")
    name = models.CharField(max_length=NAME_MAX_LENGTH + 6)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["joined_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                "session", Lower("name"), name="participant_unique_name_per_session"
            ),
        ]

    def __str__(self):
        return self.name


class Connection(models.Model):
    """One open websocket of a participant; presence is "has a fresh connection".

    Rows of a crashed process are not cleaned up by it: they simply go stale, because live
    consumers refresh `last_seen` on a heartbeat.
    """

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="connections")
    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="connections"
    )
    channel_name = models.CharField(max_length=200, unique=True)
    last_seen = models.DateTimeField()

    def __str__(self):
        return f"{self.participant} on {self.channel_name}"


class StepLog(models.Model):
    """When each agenda step was on screen, for the summary's timeline."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="step_log")
    index = models.PositiveIntegerField()
    key = models.CharField(max_length=40)
    title = models.CharField(max_length=300)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["started_at", "pk"]

    def __str__(self):
        return f"{self.title} from {self.started_at:%H:%M:%S}"


class QuestionState(models.Model):
    """Whether a discussion question is open for answers in a session, the phase of its round
    if it runs as one, and how the board shows it."""

    class Phase(models.TextChoices):
        NONE = "", "No round"
        THINK = "think", "Think"
        PAIR = "pair", "Pair"
        SHARE = "share", "Share"
        LOCK = "lock", "Lock"

    class BoardView(models.TextChoices):
        ANSWERS = "answers", "Answers"
        CLOUD = "cloud", "Word cloud"

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="question_states")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    is_open = models.BooleanField(default=False)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # A round (think, pair, share, lock): "" is a question without one, as before rounds.
    phase = models.CharField(max_length=10, choices=Phase.choices, default="", blank=True)
    # The countdown of the phase: the server's deadline, so every screen counts to the same
    # moment whatever its clock; while paused, the seconds that were left instead.
    phase_ends_at = models.DateTimeField(null=True, blank=True)
    phase_paused_seconds = models.PositiveIntegerField(null=True, blank=True)
    phase_advances = models.BooleanField(default=False)  # to the next phase by itself at zero
    # Pair: students sit at tables of this many (assigned), or pick one of this many tables.
    table_size = models.PositiveSmallIntegerField(default=2)
    tables_chosen = models.BooleanField(default=False)
    table_count = models.PositiveSmallIntegerField(default=0)
    board_view = models.CharField(
        max_length=10, choices=BoardView.choices, default=BoardView.ANSWERS
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "question"], name="question_state_unique"),
        ]

    def __str__(self):
        return f"Q{self.question.number} {'open' if self.is_open else 'closed'}"

    @property
    def was_closed(self):
        """Closed after being open: answer-first no longer hides its answers."""
        return not self.is_open and self.closed_at is not None


class Attendance(models.Model):
    """A student who was here while a question was open: the "m" of "n of m answered".

    Recorded for everyone connected when the question opens and for whoever connects while it
    is open; a student who answered was here too, even with no socket (see
    `selectors.question_states`)."""

    state = models.ForeignKey(QuestionState, on_delete=models.CASCADE, related_name="attendance")
    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="attendance"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["state", "participant"], name="attendance_unique"),
        ]

    def __str__(self):
        return f"{self.participant} during {self.state}"


class Seat(models.Model):
    """Where a student sits for a question's Pair phase: they see the answers of their table."""

    state = models.ForeignKey(QuestionState, on_delete=models.CASCADE, related_name="seats")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="seats")
    table = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["table", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["state", "participant"], name="seat_one_per_student"),
        ]

    def __str__(self):
        return f"{self.participant} at table {self.table} for {self.state}"


class Answer(models.Model):
    """A student's answer to a question, or their reply to a classmate's answer (`reply_to`
    set, with a `move`). A reply is written, edited, upvoted, hidden and reviewed exactly as an
    answer is, so it shares the model and every rule; it only never counts as answering."""

    class Move(models.TextChoices):
        BUILD = "build", "Build on"
        CHALLENGE = "challenge", "Challenge"
        QUESTION = "question", "Question"

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="answers")
    text = models.TextField(max_length=ANSWER_MAX_LENGTH)
    # Sent by the answer form; a retried post with the same token is the same answer.
    client_token = models.UUIDField(default=uuid.uuid4)
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    hidden = models.BooleanField(default=False)
    # Approve-first: waiting for review, seen only by its author and the facilitators.
    pending = models.BooleanField(default=False)
    pinned = models.BooleanField(default=False)
    # When it was first spotlit or marked discussed: the order the class discussed answers in.
    discussed_at = models.DateTimeField(null=True, blank=True)
    # Replies thread one level deep, under an answer; RESTRICT: an answer classmates replied to
    # is not deleted from under their replies (services.answer_delete refuses first).
    reply_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.RESTRICT, related_name="replies"
    )
    move = models.CharField(max_length=10, choices=Move.choices, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            # Every tick counts a question's answers, waiting ones and answerers
            # (selectors.question_states): from this index alone, not the rows.
            models.Index(
                fields=["question", "session", "reply_to", "hidden", "pending"],
                name="answer_counts",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "question"],
                condition=models.Q(reply_to__isnull=True),
                name="answer_one_per_participant_question",
            ),
            models.CheckConstraint(
                condition=models.Q(reply_to__isnull=True, move="")
                | models.Q(reply_to__isnull=False, move__in=["build", "challenge", "question"]),
                name="answer_reply_has_move",
            ),
            models.UniqueConstraint(
                fields=["participant", "client_token"], name="answer_unique_client_token"
            ),
        ]

    def __str__(self):
        return self.text[:60]

    @property
    def is_reply(self) -> bool:
        return self.reply_to_id is not None

    @property
    def shown(self) -> bool:
        """Seen by the class: not hidden, not waiting for review."""
        return not self.hidden and not self.pending

    @property
    def term_keys(self) -> str:
        """Its key terms (seminar/terms.py), space-separated: the console's term buttons show
        the answers that use one."""
        return " ".join(terms.keys(self.text))


class SpotlightLog(models.Model):
    """When an answer was on the board for discussion, for the summary ("for how long")."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="spotlights")
    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="spotlights")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["started_at", "pk"]

    def __str__(self):
        return f"Answer {self.answer_id} from {self.started_at:%H:%M:%S}"


class Vote(models.Model):
    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="votes")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="votes")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["answer", "participant"], name="vote_one_per_answer"),
        ]

    def __str__(self):
        return f"{self.participant} for answer {self.answer_id}"


class StepNote(models.Model):
    """The facilitator's notes on one agenda step, shown in the summary."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="notes")
    step_key = models.CharField(max_length=40)
    text = models.TextField(blank=True, max_length=20000)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "step_key"], name="step_note_unique"),
        ]

    def __str__(self):
        return f"Notes on {self.step_key}"


class ModeratorLink(models.Model):
    """A link (/m/<token>) the facilitator gives a moderator's phone: on the first device that
    claims it, its holder approves, hides, pins and spotlights answers, and nothing else, until
    the link is revoked. Only a hash of the token is kept: the link itself is shown once, to
    whoever made it, so a copy of the database does not open the session."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="moderator_links")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    # The random key the claiming browser keeps in its Django session (seminar/identity.py):
    # that device, and no other, moderates by this link.
    device_key = models.CharField(max_length=64, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"Moderator link {self.pk} of {self.session.code}"

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()

    @property
    def is_active(self) -> bool:
        """Claimed on a device and not revoked: its holder may moderate."""
        return self.claimed_at is not None and self.revoked_at is None
