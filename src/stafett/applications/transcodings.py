"""How plan events and snapshots are turned into stored bytes and back.

The library's JSON transcoder knows UUID, Decimal and datetime; everything else
that plan events carry is registered here. A plan snapshot holds the whole
`PlanState` and is encoded in one piece with msgspec, which reads and writes
typed dataclasses in C: decoding a 10,000-event plan's state stays in the
low milliseconds instead of one Python call per nested object.
"""

from dataclasses import is_dataclass
from datetime import date
from enum import Enum
from typing import Any

import msgspec
from eventsourcing.persistence import JSONTranscoder, Transcoding

from stafett.aggregates import values
from stafett.aggregates.plan import PlanState


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class EnumAsValue(Transcoding):
    def __init__(self, enum_class: type[Enum]) -> None:
        self.type = enum_class
        self.name = "stafett." + enum_class.__name__

    def encode(self, obj: Enum) -> Any:
        return obj.value

    def decode(self, data: Any) -> Enum:
        member: Enum = self.type(data)
        return member


class DataclassAsDict(Transcoding):
    """A frozen value dataclass, as msgspec's builtins (types restored on decode)."""

    def __init__(self, value_class: type[Any]) -> None:
        self.type = value_class
        self.name = "stafett." + value_class.__name__

    def encode(self, obj: Any) -> Any:
        return msgspec.to_builtins(obj)

    def decode(self, data: Any) -> Any:
        return msgspec.convert(data, self.type)


class PlanStateAsJSON(Transcoding):
    type = PlanState
    name = "stafett.PlanState"
    _encoder = msgspec.json.Encoder()
    _decoder = msgspec.json.Decoder(PlanState)

    def encode(self, obj: PlanState) -> str:
        return self._encoder.encode(obj).decode()

    def decode(self, data: str) -> PlanState:
        return self._decoder.decode(data)


def register_plan_transcodings(transcoder: JSONTranscoder) -> None:
    transcoder.register(DateAsISO())
    for name in dir(values):
        obj = getattr(values, name)
        if isinstance(obj, type) and obj.__module__ == values.__name__:
            if issubclass(obj, Enum):
                transcoder.register(EnumAsValue(obj))
            elif is_dataclass(obj):
                transcoder.register(DataclassAsDict(obj))
    transcoder.register(PlanStateAsJSON())
