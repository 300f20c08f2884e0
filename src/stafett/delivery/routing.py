"""One sender for callers, whichever channel a person chose for their codes."""

from stafett.delivery.messages import Channel, OutgoingMessage, Sender


class RoutingSender:
    def __init__(self, email: Sender, sms: Sender) -> None:
        self._senders = {Channel.EMAIL: email, Channel.SMS: sms}

    def send(self, message: OutgoingMessage) -> None:
        self._senders[message.channel].send(message)
