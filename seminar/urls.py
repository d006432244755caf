"""Every URL of the app. The public ones (/j/, /s/, /facilitate/, /guides/) are printed on
QR codes and bookmarked: keep them stable (see DESIGN.md)."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, register_converter

from seminar.views import board, console, moderate, public, room, signin, summary


class CodeConverter:
    """A join code as typed: 6 letters or digits, any case (normalised by the views)."""

    regex = "[A-Za-z0-9]{6}"

    def to_python(self, value):
        return value.upper()

    def to_url(self, value):
        return value


register_converter(CodeConverter, "code")

seminar_patterns = [
    path("j/<code:code>", public.join_link, name="join_link"),
    path("join/", public.join, name="join"),
    path("s/<code:code>/", room.room, name="room"),
    path("s/<code:code>/board/", board.board, name="board"),
    path("s/<code:code>/state/", room.room_state, name="room_state"),
    path("s/<code:code>/q/<int:number>/answer/", room.answer_post, name="answer_post"),
    path("s/<code:code>/answers/<int:pk>/edit/", room.answer_edit, name="answer_edit"),
    path("s/<code:code>/answers/<int:pk>/delete/", room.answer_delete, name="answer_delete"),
    path("s/<code:code>/answers/<int:pk>/vote/", room.answer_vote, name="answer_vote"),
    path("s/<code:code>/answers/<int:pk>/reply/", room.reply_post, name="reply_post"),
    path("s/<code:code>/q/<int:number>/table/", room.seat_choose, name="seat_choose"),
    path("facilitate/", console.session_list, name="facilitate"),
    path("facilitate/new/", console.session_new, name="session_new"),
    path("facilitate/<code:code>/", console.console, name="console"),
    path("facilitate/<code:code>/step/", console.step_go, name="step_go"),
    path(
        "facilitate/<code:code>/q/<int:number>/open/", console.question_open, name="question_open"
    ),
    path(
        "facilitate/<code:code>/q/<int:number>/close/",
        console.question_close,
        name="question_close",
    ),
    path("facilitate/<code:code>/answers/<int:pk>/hide/", console.answer_hide, name="answer_hide"),
    path("facilitate/<code:code>/answers/<int:pk>/pin/", console.answer_pin, name="answer_pin"),
    path(
        "facilitate/<code:code>/answers/<int:pk>/review/",
        console.answer_review,
        name="answer_review",
    ),
    path(
        "facilitate/<code:code>/q/<int:number>/review/",
        console.answers_review_all,
        name="answers_review_all",
    ),
    path(
        "facilitate/<code:code>/answers/<int:pk>/discussed/",
        console.answer_discussed,
        name="answer_discussed",
    ),
    path(
        "facilitate/<code:code>/answers/<int:pk>/spotlight/",
        console.answer_spotlight,
        name="answer_spotlight",
    ),
    path("facilitate/<code:code>/spotlight/end/", console.spotlight_end, name="spotlight_end"),
    path("facilitate/<code:code>/moderate/", moderate.moderate, name="moderate"),
    path(
        "facilitate/<code:code>/moderators/",
        console.moderator_link_create,
        name="moderator_link_create",
    ),
    path(
        "facilitate/<code:code>/moderators/<int:pk>/revoke/",
        console.moderator_link_revoke,
        name="moderator_link_revoke",
    ),
    path("m/<str:token>", moderate.moderator_claim, name="moderator_claim"),
    path("facilitate/<code:code>/board/turn/", console.board_turn, name="board_turn"),
    path("facilitate/<code:code>/q/<int:number>/round/", console.round_phase, name="round_phase"),
    path(
        "facilitate/<code:code>/q/<int:number>/round/timer/",
        console.round_timer,
        name="round_timer",
    ),
    path(
        "facilitate/<code:code>/q/<int:number>/round/seats/",
        console.seats_assign,
        name="seats_assign",
    ),
    path(
        "facilitate/<code:code>/q/<int:number>/round/tables/",
        console.tables_open,
        name="tables_open",
    ),
    path(
        "facilitate/<code:code>/q/<int:number>/board-view/",
        console.question_board_view,
        name="question_board_view",
    ),
    path("facilitate/<code:code>/settings/", console.session_settings, name="session_settings"),
    path("facilitate/<code:code>/end/", console.session_end, name="session_end"),
    path("facilitate/<code:code>/share/", console.session_share, name="session_share"),
    path("facilitate/<code:code>/notes/<slug:step_key>/", summary.note_save, name="note_save"),
    path("facilitate/<code:code>/summary/", summary.summary, name="summary"),
    path(
        "facilitate/<code:code>/export/participants.csv",
        summary.export_participants,
        name="export_participants",
    ),
    path("facilitate/<code:code>/export/<str:fmt>", summary.export, name="export"),
    path("facilitate/<code:code>/delete/", summary.session_delete, name="session_delete"),
]

urlpatterns = [
    path("", public.home, name="home"),
    path("", include((seminar_patterns, "seminar"))),
    path("guides/", include("guide.urls")),
    path("accounts/login/", signin.SignInView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
]
