from fundguard.common.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CaseSubject(_message.Message):
    __slots__ = ("kind", "code", "name", "id_number")
    KIND_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ID_NUMBER_FIELD_NUMBER: _ClassVar[int]
    kind: str
    code: str
    name: str
    id_number: str
    def __init__(self, kind: _Optional[str] = ..., code: _Optional[str] = ..., name: _Optional[str] = ..., id_number: _Optional[str] = ...) -> None: ...

class Case(_message.Message):
    __slots__ = ("case_id", "state", "subjects", "finding_ids", "amount", "fine", "threshold_band", "referred_to", "opened_at", "summary")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    SUBJECTS_FIELD_NUMBER: _ClassVar[int]
    FINDING_IDS_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    FINE_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_BAND_FIELD_NUMBER: _ClassVar[int]
    REFERRED_TO_FIELD_NUMBER: _ClassVar[int]
    OPENED_AT_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    state: str
    subjects: _containers.RepeatedCompositeFieldContainer[CaseSubject]
    finding_ids: _containers.RepeatedScalarFieldContainer[str]
    amount: _common_pb2.Money
    fine: _common_pb2.Money
    threshold_band: str
    referred_to: _containers.RepeatedScalarFieldContainer[str]
    opened_at: str
    summary: str
    def __init__(self, case_id: _Optional[str] = ..., state: _Optional[str] = ..., subjects: _Optional[_Iterable[_Union[CaseSubject, _Mapping]]] = ..., finding_ids: _Optional[_Iterable[str]] = ..., amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., fine: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., threshold_band: _Optional[str] = ..., referred_to: _Optional[_Iterable[str]] = ..., opened_at: _Optional[str] = ..., summary: _Optional[str] = ...) -> None: ...

class OpenCaseRequest(_message.Message):
    __slots__ = ("request_id", "subjects", "finding_ids", "summary", "opened_by")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    SUBJECTS_FIELD_NUMBER: _ClassVar[int]
    FINDING_IDS_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    OPENED_BY_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    subjects: _containers.RepeatedCompositeFieldContainer[CaseSubject]
    finding_ids: _containers.RepeatedScalarFieldContainer[str]
    summary: str
    opened_by: str
    def __init__(self, request_id: _Optional[str] = ..., subjects: _Optional[_Iterable[_Union[CaseSubject, _Mapping]]] = ..., finding_ids: _Optional[_Iterable[str]] = ..., summary: _Optional[str] = ..., opened_by: _Optional[str] = ...) -> None: ...

class ReferCaseRequest(_message.Message):
    __slots__ = ("request_id", "case_id", "agency", "referred_by")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    AGENCY_FIELD_NUMBER: _ClassVar[int]
    REFERRED_BY_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    case_id: str
    agency: str
    referred_by: str
    def __init__(self, request_id: _Optional[str] = ..., case_id: _Optional[str] = ..., agency: _Optional[str] = ..., referred_by: _Optional[str] = ...) -> None: ...

class GetCaseRequest(_message.Message):
    __slots__ = ("case_id", "agency", "unmask_identity")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    AGENCY_FIELD_NUMBER: _ClassVar[int]
    UNMASK_IDENTITY_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    agency: str
    unmask_identity: bool
    def __init__(self, case_id: _Optional[str] = ..., agency: _Optional[str] = ..., unmask_identity: _Optional[bool] = ...) -> None: ...

class FeedEvent(_message.Message):
    __slots__ = ("event_id", "cursor", "kind", "case", "occurred_at")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    CASE_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    cursor: str
    kind: str
    case: Case
    occurred_at: str
    def __init__(self, event_id: _Optional[str] = ..., cursor: _Optional[str] = ..., kind: _Optional[str] = ..., case: _Optional[_Union[Case, _Mapping]] = ..., occurred_at: _Optional[str] = ...) -> None: ...

class ReadFeedRequest(_message.Message):
    __slots__ = ("agency", "cursor", "page_size", "unmask_identity", "reader")
    AGENCY_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    UNMASK_IDENTITY_FIELD_NUMBER: _ClassVar[int]
    READER_FIELD_NUMBER: _ClassVar[int]
    agency: str
    cursor: str
    page_size: int
    unmask_identity: bool
    reader: str
    def __init__(self, agency: _Optional[str] = ..., cursor: _Optional[str] = ..., page_size: _Optional[int] = ..., unmask_identity: _Optional[bool] = ..., reader: _Optional[str] = ...) -> None: ...

class ReadFeedResponse(_message.Message):
    __slots__ = ("events", "next_cursor")
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_CURSOR_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[FeedEvent]
    next_cursor: str
    def __init__(self, events: _Optional[_Iterable[_Union[FeedEvent, _Mapping]]] = ..., next_cursor: _Optional[str] = ...) -> None: ...

class Disclosure(_message.Message):
    __slots__ = ("institution_code", "institution_name", "sanction", "decided_at", "basis")
    INSTITUTION_CODE_FIELD_NUMBER: _ClassVar[int]
    INSTITUTION_NAME_FIELD_NUMBER: _ClassVar[int]
    SANCTION_FIELD_NUMBER: _ClassVar[int]
    DECIDED_AT_FIELD_NUMBER: _ClassVar[int]
    BASIS_FIELD_NUMBER: _ClassVar[int]
    institution_code: str
    institution_name: str
    sanction: str
    decided_at: str
    basis: str
    def __init__(self, institution_code: _Optional[str] = ..., institution_name: _Optional[str] = ..., sanction: _Optional[str] = ..., decided_at: _Optional[str] = ..., basis: _Optional[str] = ...) -> None: ...

class ListDisclosuresRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListDisclosuresResponse(_message.Message):
    __slots__ = ("disclosures", "next_page_token")
    DISCLOSURES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    disclosures: _containers.RepeatedCompositeFieldContainer[Disclosure]
    next_page_token: str
    def __init__(self, disclosures: _Optional[_Iterable[_Union[Disclosure, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class Event(_message.Message):
    __slots__ = ("event_id", "kind", "institution_code", "doctor_code", "claim_id", "finding", "occurred_at", "traceparent")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    INSTITUTION_CODE_FIELD_NUMBER: _ClassVar[int]
    DOCTOR_CODE_FIELD_NUMBER: _ClassVar[int]
    CLAIM_ID_FIELD_NUMBER: _ClassVar[int]
    FINDING_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    TRACEPARENT_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    kind: str
    institution_code: str
    doctor_code: str
    claim_id: str
    finding: _common_pb2.Finding
    occurred_at: str
    traceparent: str
    def __init__(self, event_id: _Optional[str] = ..., kind: _Optional[str] = ..., institution_code: _Optional[str] = ..., doctor_code: _Optional[str] = ..., claim_id: _Optional[str] = ..., finding: _Optional[_Union[_common_pb2.Finding, _Mapping]] = ..., occurred_at: _Optional[str] = ..., traceparent: _Optional[str] = ...) -> None: ...

class DeliverEventsRequest(_message.Message):
    __slots__ = ("events",)
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[Event]
    def __init__(self, events: _Optional[_Iterable[_Union[Event, _Mapping]]] = ...) -> None: ...

class DeliverEventsResponse(_message.Message):
    __slots__ = ("accepted", "duplicates")
    ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    DUPLICATES_FIELD_NUMBER: _ClassVar[int]
    accepted: int
    duplicates: int
    def __init__(self, accepted: _Optional[int] = ..., duplicates: _Optional[int] = ...) -> None: ...

class GetLedgerRequest(_message.Message):
    __slots__ = ("subject", "year", "page_size", "page_token")
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    YEAR_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    subject: str
    year: str
    page_size: int
    page_token: str
    def __init__(self, subject: _Optional[str] = ..., year: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class LedgerEntry(_message.Message):
    __slots__ = ("entry_id", "subject", "points", "cause", "recorded_at")
    ENTRY_ID_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    CAUSE_FIELD_NUMBER: _ClassVar[int]
    RECORDED_AT_FIELD_NUMBER: _ClassVar[int]
    entry_id: str
    subject: str
    points: int
    cause: str
    recorded_at: str
    def __init__(self, entry_id: _Optional[str] = ..., subject: _Optional[str] = ..., points: _Optional[int] = ..., cause: _Optional[str] = ..., recorded_at: _Optional[str] = ...) -> None: ...

class GetLedgerResponse(_message.Message):
    __slots__ = ("entries", "total_points", "next_page_token")
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    TOTAL_POINTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[LedgerEntry]
    total_points: int
    next_page_token: str
    def __init__(self, entries: _Optional[_Iterable[_Union[LedgerEntry, _Mapping]]] = ..., total_points: _Optional[int] = ..., next_page_token: _Optional[str] = ...) -> None: ...
