from django.urls import path

from seminar.consumers import LiveConsumer

websocket_urlpatterns = [
    path("ws/s/<str:code>/", LiveConsumer.as_asgi(), {"role": "participant"}),
    path("ws/s/<str:code>/board/", LiveConsumer.as_asgi(), {"role": "board"}),
    path("ws/facilitate/<str:code>/", LiveConsumer.as_asgi(), {"role": "facilitator"}),
    path("ws/facilitate/<str:code>/moderate/", LiveConsumer.as_asgi(), {"role": "moderator"}),
]
