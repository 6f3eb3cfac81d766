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
    __slots__ = ("case_id", "state", "subjects", "finding_ids", "amount", "fine", "threshold_band", "referred_to", "opened_at", "summary", "fine_basis", "fine_multiple", "timeline", "institution_code", "evidence")
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
    FINE_BASIS_FIELD_NUMBER: _ClassVar[int]
    FINE_MULTIPLE_FIELD_NUMBER: _ClassVar[int]
    TIMELINE_FIELD_NUMBER: _ClassVar[int]
    INSTITUTION_CODE_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_FIELD_NUMBER: _ClassVar[int]
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
    fine_basis: str
    fine_multiple: str
    timeline: _containers.RepeatedCompositeFieldContainer[CaseEvent]
    institution_code: str
    evidence: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, case_id: _Optional[str] = ..., state: _Optional[str] = ..., subjects: _Optional[_Iterable[_Union[CaseSubject, _Mapping]]] = ..., finding_ids: _Optional[_Iterable[str]] = ..., amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., fine: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., threshold_band: _Optional[str] = ..., referred_to: _Optional[_Iterable[str]] = ..., opened_at: _Optional[str] = ..., summary: _Optional[str] = ..., fine_basis: _Optional[str] = ..., fine_multiple: _Optional[str] = ..., timeline: _Optional[_Iterable[_Union[CaseEvent, _Mapping]]] = ..., institution_code: _Optional[str] = ..., evidence: _Optional[_Iterable[str]] = ...) -> None: ...

class CaseEvent(_message.Message):
    __slots__ = ("at", "kind", "detail", "by")
    AT_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    BY_FIELD_NUMBER: _ClassVar[int]
    at: str
    kind: str
    detail: str
    by: str
    def __init__(self, at: _Optional[str] = ..., kind: _Optional[str] = ..., detail: _Optional[str] = ..., by: _Optional[str] = ...) -> None: ...

class OpenCaseRequest(_message.Message):
    __slots__ = ("request_id", "subjects", "finding_ids", "summary", "opened_by", "amount", "fraud", "evidence", "institution_code")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    SUBJECTS_FIELD_NUMBER: _ClassVar[int]
    FINDING_IDS_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    OPENED_BY_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    FRAUD_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_FIELD_NUMBER: _ClassVar[int]
    INSTITUTION_CODE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    subjects: _containers.RepeatedCompositeFieldContainer[CaseSubject]
    finding_ids: _containers.RepeatedScalarFieldContainer[str]
    summary: str
    opened_by: str
    amount: _common_pb2.Money
    fraud: bool
    evidence: _containers.RepeatedScalarFieldContainer[str]
    institution_code: str
    def __init__(self, request_id: _Optional[str] = ..., subjects: _Optional[_Iterable[_Union[CaseSubject, _Mapping]]] = ..., finding_ids: _Optional[_Iterable[str]] = ..., summary: _Optional[str] = ..., opened_by: _Optional[str] = ..., amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., fraud: _Optional[bool] = ..., evidence: _Optional[_Iterable[str]] = ..., institution_code: _Optional[str] = ...) -> None: ...

class ReferCaseRequest(_message.Message):
    __slots__ = ("request_id", "case_id", "agency", "referred_by", "note")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    AGENCY_FIELD_NUMBER: _ClassVar[int]
    REFERRED_BY_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    case_id: str
    agency: str
    referred_by: str
    note: str
    def __init__(self, request_id: _Optional[str] = ..., case_id: _Optional[str] = ..., agency: _Optional[str] = ..., referred_by: _Optional[str] = ..., note: _Optional[str] = ...) -> None: ...

class GetCaseRequest(_message.Message):
    __slots__ = ("case_id", "agency", "unmask_identity", "reader")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    AGENCY_FIELD_NUMBER: _ClassVar[int]
    UNMASK_IDENTITY_FIELD_NUMBER: _ClassVar[int]
    READER_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    agency: str
    unmask_identity: bool
    reader: str
    def __init__(self, case_id: _Optional[str] = ..., agency: _Optional[str] = ..., unmask_identity: _Optional[bool] = ..., reader: _Optional[str] = ...) -> None: ...

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
    __slots__ = ("event_id", "kind", "institution_code", "doctor_code", "claim_id", "finding", "occurred_at", "traceparent", "responsibility", "decided_by", "reason")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    INSTITUTION_CODE_FIELD_NUMBER: _ClassVar[int]
    DOCTOR_CODE_FIELD_NUMBER: _ClassVar[int]
    CLAIM_ID_FIELD_NUMBER: _ClassVar[int]
    FINDING_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    TRACEPARENT_FIELD_NUMBER: _ClassVar[int]
    RESPONSIBILITY_FIELD_NUMBER: _ClassVar[int]
    DECIDED_BY_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    kind: str
    institution_code: str
    doctor_code: str
    claim_id: str
    finding: _common_pb2.Finding
    occurred_at: str
    traceparent: str
    responsibility: str
    decided_by: str
    reason: str
    def __init__(self, event_id: _Optional[str] = ..., kind: _Optional[str] = ..., institution_code: _Optional[str] = ..., doctor_code: _Optional[str] = ..., claim_id: _Optional[str] = ..., finding: _Optional[_Union[_common_pb2.Finding, _Mapping]] = ..., occurred_at: _Optional[str] = ..., traceparent: _Optional[str] = ..., responsibility: _Optional[str] = ..., decided_by: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

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
    __slots__ = ("entry_id", "subject", "points", "cause", "recorded_at", "ledger", "finding_id", "event_id", "reverses_entry_id", "person", "year")
    ENTRY_ID_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    CAUSE_FIELD_NUMBER: _ClassVar[int]
    RECORDED_AT_FIELD_NUMBER: _ClassVar[int]
    LEDGER_FIELD_NUMBER: _ClassVar[int]
    FINDING_ID_FIELD_NUMBER: _ClassVar[int]
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    REVERSES_ENTRY_ID_FIELD_NUMBER: _ClassVar[int]
    PERSON_FIELD_NUMBER: _ClassVar[int]
    YEAR_FIELD_NUMBER: _ClassVar[int]
    entry_id: str
    subject: str
    points: int
    cause: str
    recorded_at: str
    ledger: str
    finding_id: str
    event_id: str
    reverses_entry_id: str
    person: str
    year: int
    def __init__(self, entry_id: _Optional[str] = ..., subject: _Optional[str] = ..., points: _Optional[int] = ..., cause: _Optional[str] = ..., recorded_at: _Optional[str] = ..., ledger: _Optional[str] = ..., finding_id: _Optional[str] = ..., event_id: _Optional[str] = ..., reverses_entry_id: _Optional[str] = ..., person: _Optional[str] = ..., year: _Optional[int] = ...) -> None: ...

class GetLedgerResponse(_message.Message):
    __slots__ = ("entries", "total_points", "next_page_token")
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    TOTAL_POINTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[LedgerEntry]
    total_points: int
    next_page_token: str
    def __init__(self, entries: _Optional[_Iterable[_Union[LedgerEntry, _Mapping]]] = ..., total_points: _Optional[int] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class Decision(_message.Message):
    __slots__ = ("decision_id", "subject_kind", "subject", "year", "kind", "start_date", "end_date", "cause", "decided_by", "withdraws", "active", "dispatch_state", "dispatch_error", "recorded_at", "detail")
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_KIND_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    YEAR_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    END_DATE_FIELD_NUMBER: _ClassVar[int]
    CAUSE_FIELD_NUMBER: _ClassVar[int]
    DECIDED_BY_FIELD_NUMBER: _ClassVar[int]
    WITHDRAWS_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    DISPATCH_STATE_FIELD_NUMBER: _ClassVar[int]
    DISPATCH_ERROR_FIELD_NUMBER: _ClassVar[int]
    RECORDED_AT_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    decision_id: str
    subject_kind: str
    subject: str
    year: int
    kind: str
    start_date: str
    end_date: str
    cause: str
    decided_by: str
    withdraws: str
    active: bool
    dispatch_state: str
    dispatch_error: str
    recorded_at: str
    detail: str
    def __init__(self, decision_id: _Optional[str] = ..., subject_kind: _Optional[str] = ..., subject: _Optional[str] = ..., year: _Optional[int] = ..., kind: _Optional[str] = ..., start_date: _Optional[str] = ..., end_date: _Optional[str] = ..., cause: _Optional[str] = ..., decided_by: _Optional[str] = ..., withdraws: _Optional[str] = ..., active: _Optional[bool] = ..., dispatch_state: _Optional[str] = ..., dispatch_error: _Optional[str] = ..., recorded_at: _Optional[str] = ..., detail: _Optional[str] = ...) -> None: ...

class ListDecisionsRequest(_message.Message):
    __slots__ = ("subject", "year", "page_size", "page_token")
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    YEAR_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    subject: str
    year: int
    page_size: int
    page_token: str
    def __init__(self, subject: _Optional[str] = ..., year: _Optional[int] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListDecisionsResponse(_message.Message):
    __slots__ = ("decisions", "next_page_token")
    DECISIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    decisions: _containers.RepeatedCompositeFieldContainer[Decision]
    next_page_token: str
    def __init__(self, decisions: _Optional[_Iterable[_Union[Decision, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetStandingRequest(_message.Message):
    __slots__ = ("subject", "year")
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    YEAR_FIELD_NUMBER: _ClassVar[int]
    subject: str
    year: int
    def __init__(self, subject: _Optional[str] = ..., year: _Optional[int] = ...) -> None: ...

class Standing(_message.Message):
    __slots__ = ("subject", "subject_kind", "year", "points", "active_decisions", "grade", "prepayment_ratio", "status")
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_KIND_FIELD_NUMBER: _ClassVar[int]
    YEAR_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_DECISIONS_FIELD_NUMBER: _ClassVar[int]
    GRADE_FIELD_NUMBER: _ClassVar[int]
    PREPAYMENT_RATIO_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    subject: str
    subject_kind: str
    year: int
    points: int
    active_decisions: _containers.RepeatedCompositeFieldContainer[Decision]
    grade: str
    prepayment_ratio: str
    status: str
    def __init__(self, subject: _Optional[str] = ..., subject_kind: _Optional[str] = ..., year: _Optional[int] = ..., points: _Optional[int] = ..., active_decisions: _Optional[_Iterable[_Union[Decision, _Mapping]]] = ..., grade: _Optional[str] = ..., prepayment_ratio: _Optional[str] = ..., status: _Optional[str] = ...) -> None: ...

class ListBlacklistRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class BlacklistEntry(_message.Message):
    __slots__ = ("subject_kind", "subject", "sanction", "start_date", "end_date", "decision_id")
    SUBJECT_KIND_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    SANCTION_FIELD_NUMBER: _ClassVar[int]
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    END_DATE_FIELD_NUMBER: _ClassVar[int]
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    subject_kind: str
    subject: str
    sanction: str
    start_date: str
    end_date: str
    decision_id: str
    def __init__(self, subject_kind: _Optional[str] = ..., subject: _Optional[str] = ..., sanction: _Optional[str] = ..., start_date: _Optional[str] = ..., end_date: _Optional[str] = ..., decision_id: _Optional[str] = ...) -> None: ...

class ListBlacklistResponse(_message.Message):
    __slots__ = ("entries", "next_page_token")
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[BlacklistEntry]
    next_page_token: str
    def __init__(self, entries: _Optional[_Iterable[_Union[BlacklistEntry, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class RunAnnualAssessmentRequest(_message.Message):
    __slots__ = ("request_id", "year", "institution_codes", "decided_by")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    YEAR_FIELD_NUMBER: _ClassVar[int]
    INSTITUTION_CODES_FIELD_NUMBER: _ClassVar[int]
    DECIDED_BY_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    year: int
    institution_codes: _containers.RepeatedScalarFieldContainer[str]
    decided_by: str
    def __init__(self, request_id: _Optional[str] = ..., year: _Optional[int] = ..., institution_codes: _Optional[_Iterable[str]] = ..., decided_by: _Optional[str] = ...) -> None: ...

class Assessment(_message.Message):
    __slots__ = ("institution_code", "year", "points", "score", "grade", "prepayment_ratio", "failing", "agreement_ended")
    INSTITUTION_CODE_FIELD_NUMBER: _ClassVar[int]
    YEAR_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    GRADE_FIELD_NUMBER: _ClassVar[int]
    PREPAYMENT_RATIO_FIELD_NUMBER: _ClassVar[int]
    FAILING_FIELD_NUMBER: _ClassVar[int]
    AGREEMENT_ENDED_FIELD_NUMBER: _ClassVar[int]
    institution_code: str
    year: int
    points: int
    score: int
    grade: str
    prepayment_ratio: str
    failing: bool
    agreement_ended: bool
    def __init__(self, institution_code: _Optional[str] = ..., year: _Optional[int] = ..., points: _Optional[int] = ..., score: _Optional[int] = ..., grade: _Optional[str] = ..., prepayment_ratio: _Optional[str] = ..., failing: _Optional[bool] = ..., agreement_ended: _Optional[bool] = ...) -> None: ...

class RunAnnualAssessmentResponse(_message.Message):
    __slots__ = ("assessments",)
    ASSESSMENTS_FIELD_NUMBER: _ClassVar[int]
    assessments: _containers.RepeatedCompositeFieldContainer[Assessment]
    def __init__(self, assessments: _Optional[_Iterable[_Union[Assessment, _Mapping]]] = ...) -> None: ...

class DispatchSanctionsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class DispatchSanctionsResponse(_message.Message):
    __slots__ = ("sent", "pending")
    SENT_FIELD_NUMBER: _ClassVar[int]
    PENDING_FIELD_NUMBER: _ClassVar[int]
    sent: int
    pending: int
    def __init__(self, sent: _Optional[int] = ..., pending: _Optional[int] = ...) -> None: ...

class ItemAggregate(_message.Message):
    __slots__ = ("item_code", "item_name", "item_kind", "count", "amount", "patients")
    ITEM_CODE_FIELD_NUMBER: _ClassVar[int]
    ITEM_NAME_FIELD_NUMBER: _ClassVar[int]
    ITEM_KIND_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    PATIENTS_FIELD_NUMBER: _ClassVar[int]
    item_code: str
    item_name: str
    item_kind: str
    count: int
    amount: _common_pb2.Money
    patients: int
    def __init__(self, item_code: _Optional[str] = ..., item_name: _Optional[str] = ..., item_kind: _Optional[str] = ..., count: _Optional[int] = ..., amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., patients: _Optional[int] = ...) -> None: ...

class DoctorAggregate(_message.Message):
    __slots__ = ("doctor_code", "visits", "patients", "total_cost", "drug_cost")
    DOCTOR_CODE_FIELD_NUMBER: _ClassVar[int]
    VISITS_FIELD_NUMBER: _ClassVar[int]
    PATIENTS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_COST_FIELD_NUMBER: _ClassVar[int]
    DRUG_COST_FIELD_NUMBER: _ClassVar[int]
    doctor_code: str
    visits: int
    patients: int
    total_cost: _common_pb2.Money
    drug_cost: _common_pb2.Money
    def __init__(self, doctor_code: _Optional[str] = ..., visits: _Optional[int] = ..., patients: _Optional[int] = ..., total_cost: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., drug_cost: _Optional[_Union[_common_pb2.Money, _Mapping]] = ...) -> None: ...

class InstitutionPeriod(_message.Message):
    __slots__ = ("institution_code", "institution_name", "level", "type", "region", "period", "settlements", "patients", "total_cost", "fund_paid", "cost_by_kind", "discharges", "hospital_infections", "unplanned_readmissions_31d", "items", "doctors")
    class CostByKindEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    INSTITUTION_CODE_FIELD_NUMBER: _ClassVar[int]
    INSTITUTION_NAME_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    REGION_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    SETTLEMENTS_FIELD_NUMBER: _ClassVar[int]
    PATIENTS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_COST_FIELD_NUMBER: _ClassVar[int]
    FUND_PAID_FIELD_NUMBER: _ClassVar[int]
    COST_BY_KIND_FIELD_NUMBER: _ClassVar[int]
    DISCHARGES_FIELD_NUMBER: _ClassVar[int]
    HOSPITAL_INFECTIONS_FIELD_NUMBER: _ClassVar[int]
    UNPLANNED_READMISSIONS_31D_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    DOCTORS_FIELD_NUMBER: _ClassVar[int]
    institution_code: str
    institution_name: str
    level: str
    type: str
    region: str
    period: str
    settlements: int
    patients: int
    total_cost: _common_pb2.Money
    fund_paid: _common_pb2.Money
    cost_by_kind: _containers.ScalarMap[str, str]
    discharges: int
    hospital_infections: int
    unplanned_readmissions_31d: int
    items: _containers.RepeatedCompositeFieldContainer[ItemAggregate]
    doctors: _containers.RepeatedCompositeFieldContainer[DoctorAggregate]
    def __init__(self, institution_code: _Optional[str] = ..., institution_name: _Optional[str] = ..., level: _Optional[str] = ..., type: _Optional[str] = ..., region: _Optional[str] = ..., period: _Optional[str] = ..., settlements: _Optional[int] = ..., patients: _Optional[int] = ..., total_cost: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., fund_paid: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., cost_by_kind: _Optional[_Mapping[str, str]] = ..., discharges: _Optional[int] = ..., hospital_infections: _Optional[int] = ..., unplanned_readmissions_31d: _Optional[int] = ..., items: _Optional[_Iterable[_Union[ItemAggregate, _Mapping]]] = ..., doctors: _Optional[_Iterable[_Union[DoctorAggregate, _Mapping]]] = ...) -> None: ...

class RecordIndicatorsRequest(_message.Message):
    __slots__ = ("request_id", "rows")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ROWS_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    rows: _containers.RepeatedCompositeFieldContainer[InstitutionPeriod]
    def __init__(self, request_id: _Optional[str] = ..., rows: _Optional[_Iterable[_Union[InstitutionPeriod, _Mapping]]] = ...) -> None: ...

class RecordIndicatorsResponse(_message.Message):
    __slots__ = ("recorded",)
    RECORDED_FIELD_NUMBER: _ClassVar[int]
    recorded: int
    def __init__(self, recorded: _Optional[int] = ...) -> None: ...

class ItemDelta(_message.Message):
    __slots__ = ("item_code", "item_name", "item_kind", "count", "count_before", "amount", "amount_before", "increase", "share_of_increase", "share_of_cost")
    ITEM_CODE_FIELD_NUMBER: _ClassVar[int]
    ITEM_NAME_FIELD_NUMBER: _ClassVar[int]
    ITEM_KIND_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    COUNT_BEFORE_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_BEFORE_FIELD_NUMBER: _ClassVar[int]
    INCREASE_FIELD_NUMBER: _ClassVar[int]
    SHARE_OF_INCREASE_FIELD_NUMBER: _ClassVar[int]
    SHARE_OF_COST_FIELD_NUMBER: _ClassVar[int]
    item_code: str
    item_name: str
    item_kind: str
    count: int
    count_before: int
    amount: _common_pb2.Money
    amount_before: _common_pb2.Money
    increase: _common_pb2.Money
    share_of_increase: str
    share_of_cost: str
    def __init__(self, item_code: _Optional[str] = ..., item_name: _Optional[str] = ..., item_kind: _Optional[str] = ..., count: _Optional[int] = ..., count_before: _Optional[int] = ..., amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., amount_before: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., increase: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., share_of_increase: _Optional[str] = ..., share_of_cost: _Optional[str] = ...) -> None: ...

class RiskWarning(_message.Message):
    __slots__ = ("indicator", "value", "baseline", "score", "message", "drilldown")
    INDICATOR_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    BASELINE_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    DRILLDOWN_FIELD_NUMBER: _ClassVar[int]
    indicator: str
    value: str
    baseline: str
    score: str
    message: str
    drilldown: _containers.RepeatedCompositeFieldContainer[ItemDelta]
    def __init__(self, indicator: _Optional[str] = ..., value: _Optional[str] = ..., baseline: _Optional[str] = ..., score: _Optional[str] = ..., message: _Optional[str] = ..., drilldown: _Optional[_Iterable[_Union[ItemDelta, _Mapping]]] = ...) -> None: ...

class InstitutionIndicators(_message.Message):
    __slots__ = ("institution_code", "period", "peer_group", "values", "growth", "peer_scores", "warnings")
    class ValuesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class GrowthEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class PeerScoresEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    INSTITUTION_CODE_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    PEER_GROUP_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    GROWTH_FIELD_NUMBER: _ClassVar[int]
    PEER_SCORES_FIELD_NUMBER: _ClassVar[int]
    WARNINGS_FIELD_NUMBER: _ClassVar[int]
    institution_code: str
    period: str
    peer_group: str
    values: _containers.ScalarMap[str, str]
    growth: _containers.ScalarMap[str, str]
    peer_scores: _containers.ScalarMap[str, str]
    warnings: _containers.RepeatedCompositeFieldContainer[RiskWarning]
    def __init__(self, institution_code: _Optional[str] = ..., period: _Optional[str] = ..., peer_group: _Optional[str] = ..., values: _Optional[_Mapping[str, str]] = ..., growth: _Optional[_Mapping[str, str]] = ..., peer_scores: _Optional[_Mapping[str, str]] = ..., warnings: _Optional[_Iterable[_Union[RiskWarning, _Mapping]]] = ...) -> None: ...

class GetIndicatorsRequest(_message.Message):
    __slots__ = ("period", "institution_code", "page_size", "page_token")
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    INSTITUTION_CODE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    period: str
    institution_code: str
    page_size: int
    page_token: str
    def __init__(self, period: _Optional[str] = ..., institution_code: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class GetIndicatorsResponse(_message.Message):
    __slots__ = ("institutions", "next_page_token")
    INSTITUTIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    institutions: _containers.RepeatedCompositeFieldContainer[InstitutionIndicators]
    next_page_token: str
    def __init__(self, institutions: _Optional[_Iterable[_Union[InstitutionIndicators, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class RiskReason(_message.Message):
    __slots__ = ("code", "contribution", "detail")
    CODE_FIELD_NUMBER: _ClassVar[int]
    CONTRIBUTION_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    code: str
    contribution: str
    detail: str
    def __init__(self, code: _Optional[str] = ..., contribution: _Optional[str] = ..., detail: _Optional[str] = ...) -> None: ...

class RiskScore(_message.Message):
    __slots__ = ("subject", "subject_kind", "score", "reasons", "institution_code")
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_KIND_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    INSTITUTION_CODE_FIELD_NUMBER: _ClassVar[int]
    subject: str
    subject_kind: str
    score: str
    reasons: _containers.RepeatedCompositeFieldContainer[RiskReason]
    institution_code: str
    def __init__(self, subject: _Optional[str] = ..., subject_kind: _Optional[str] = ..., score: _Optional[str] = ..., reasons: _Optional[_Iterable[_Union[RiskReason, _Mapping]]] = ..., institution_code: _Optional[str] = ...) -> None: ...

class GetRiskScoresRequest(_message.Message):
    __slots__ = ("period", "subject_kind", "page_size", "page_token")
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_KIND_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    period: str
    subject_kind: str
    page_size: int
    page_token: str
    def __init__(self, period: _Optional[str] = ..., subject_kind: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class GetRiskScoresResponse(_message.Message):
    __slots__ = ("scores", "next_page_token")
    SCORES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    scores: _containers.RepeatedCompositeFieldContainer[RiskScore]
    next_page_token: str
    def __init__(self, scores: _Optional[_Iterable[_Union[RiskScore, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class AccessLogEntry(_message.Message):
    __slots__ = ("entry_id", "reader", "agency", "action", "case_ids", "unmasked", "at")
    ENTRY_ID_FIELD_NUMBER: _ClassVar[int]
    READER_FIELD_NUMBER: _ClassVar[int]
    AGENCY_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    CASE_IDS_FIELD_NUMBER: _ClassVar[int]
    UNMASKED_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    entry_id: str
    reader: str
    agency: str
    action: str
    case_ids: str
    unmasked: bool
    at: str
    def __init__(self, entry_id: _Optional[str] = ..., reader: _Optional[str] = ..., agency: _Optional[str] = ..., action: _Optional[str] = ..., case_ids: _Optional[str] = ..., unmasked: _Optional[bool] = ..., at: _Optional[str] = ...) -> None: ...

class ListAccessLogRequest(_message.Message):
    __slots__ = ("agency", "page_size", "page_token")
    AGENCY_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    agency: str
    page_size: int
    page_token: str
    def __init__(self, agency: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListAccessLogResponse(_message.Message):
    __slots__ = ("entries", "next_page_token")
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[AccessLogEntry]
    next_page_token: str
    def __init__(self, entries: _Optional[_Iterable[_Union[AccessLogEntry, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListCasesRequest(_message.Message):
    __slots__ = ("institution_code", "state", "reader", "page_size", "page_token")
    INSTITUTION_CODE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    READER_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    institution_code: str
    state: str
    reader: str
    page_size: int
    page_token: str
    def __init__(self, institution_code: _Optional[str] = ..., state: _Optional[str] = ..., reader: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListCasesResponse(_message.Message):
    __slots__ = ("cases", "next_page_token")
    CASES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    cases: _containers.RepeatedCompositeFieldContainer[Case]
    next_page_token: str
    def __init__(self, cases: _Optional[_Iterable[_Union[Case, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ReverseEntryRequest(_message.Message):
    __slots__ = ("request_id", "entry_id", "decided_by", "reason")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ENTRY_ID_FIELD_NUMBER: _ClassVar[int]
    DECIDED_BY_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    entry_id: str
    decided_by: str
    reason: str
    def __init__(self, request_id: _Optional[str] = ..., entry_id: _Optional[str] = ..., decided_by: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class CloseCaseRequest(_message.Message):
    __slots__ = ("request_id", "case_id", "closed_by", "reason")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    CLOSED_BY_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    case_id: str
    closed_by: str
    reason: str
    def __init__(self, request_id: _Optional[str] = ..., case_id: _Optional[str] = ..., closed_by: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...
