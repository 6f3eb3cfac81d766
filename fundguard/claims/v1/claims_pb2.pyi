from fundguard.common.v1 import common_pb2 as _common_pb2
from google.rpc import status_pb2 as _status_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AnalyzeRequest(_message.Message):
    __slots__ = ("request_id", "moment", "trigger_scene", "task_id", "rule_ids", "cases")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    MOMENT_FIELD_NUMBER: _ClassVar[int]
    TRIGGER_SCENE_FIELD_NUMBER: _ClassVar[int]
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    RULE_IDS_FIELD_NUMBER: _ClassVar[int]
    CASES_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    moment: _common_pb2.Moment
    trigger_scene: str
    task_id: str
    rule_ids: _containers.RepeatedScalarFieldContainer[str]
    cases: _containers.RepeatedCompositeFieldContainer[_common_pb2.PatientCase]
    def __init__(self, request_id: _Optional[str] = ..., moment: _Optional[_Union[_common_pb2.Moment, str]] = ..., trigger_scene: _Optional[str] = ..., task_id: _Optional[str] = ..., rule_ids: _Optional[_Iterable[str]] = ..., cases: _Optional[_Iterable[_Union[_common_pb2.PatientCase, _Mapping]]] = ...) -> None: ...

class AnalyzeResponse(_message.Message):
    __slots__ = ("findings", "claim_ids", "replayed")
    FINDINGS_FIELD_NUMBER: _ClassVar[int]
    CLAIM_IDS_FIELD_NUMBER: _ClassVar[int]
    REPLAYED_FIELD_NUMBER: _ClassVar[int]
    findings: _containers.RepeatedCompositeFieldContainer[_common_pb2.Finding]
    claim_ids: _containers.RepeatedScalarFieldContainer[str]
    replayed: bool
    def __init__(self, findings: _Optional[_Iterable[_Union[_common_pb2.Finding, _Mapping]]] = ..., claim_ids: _Optional[_Iterable[str]] = ..., replayed: _Optional[bool] = ...) -> None: ...

class AnalyzeBatchItem(_message.Message):
    __slots__ = ("request", "traceparent")
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    TRACEPARENT_FIELD_NUMBER: _ClassVar[int]
    request: AnalyzeRequest
    traceparent: str
    def __init__(self, request: _Optional[_Union[AnalyzeRequest, _Mapping]] = ..., traceparent: _Optional[str] = ...) -> None: ...

class AnalyzeBatchRequest(_message.Message):
    __slots__ = ("items",)
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[AnalyzeBatchItem]
    def __init__(self, items: _Optional[_Iterable[_Union[AnalyzeBatchItem, _Mapping]]] = ...) -> None: ...

class AnalyzeOutcome(_message.Message):
    __slots__ = ("response", "error")
    RESPONSE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    response: AnalyzeResponse
    error: _status_pb2.Status
    def __init__(self, response: _Optional[_Union[AnalyzeResponse, _Mapping]] = ..., error: _Optional[_Union[_status_pb2.Status, _Mapping]] = ...) -> None: ...

class AnalyzeBatchResponse(_message.Message):
    __slots__ = ("outcomes",)
    OUTCOMES_FIELD_NUMBER: _ClassVar[int]
    outcomes: _containers.RepeatedCompositeFieldContainer[AnalyzeOutcome]
    def __init__(self, outcomes: _Optional[_Iterable[_Union[AnalyzeOutcome, _Mapping]]] = ...) -> None: ...

class GetClaimRequest(_message.Message):
    __slots__ = ("claim_id",)
    CLAIM_ID_FIELD_NUMBER: _ClassVar[int]
    claim_id: str
    def __init__(self, claim_id: _Optional[str] = ...) -> None: ...

class Claim(_message.Message):
    __slots__ = ("claim_id", "encounter", "patient", "findings", "trace_id", "deductions", "deducted", "settlements")
    CLAIM_ID_FIELD_NUMBER: _ClassVar[int]
    ENCOUNTER_FIELD_NUMBER: _ClassVar[int]
    PATIENT_FIELD_NUMBER: _ClassVar[int]
    FINDINGS_FIELD_NUMBER: _ClassVar[int]
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    DEDUCTIONS_FIELD_NUMBER: _ClassVar[int]
    DEDUCTED_FIELD_NUMBER: _ClassVar[int]
    SETTLEMENTS_FIELD_NUMBER: _ClassVar[int]
    claim_id: str
    encounter: _common_pb2.Encounter
    patient: _common_pb2.Patient
    findings: _containers.RepeatedCompositeFieldContainer[_common_pb2.Finding]
    trace_id: str
    deductions: _containers.RepeatedCompositeFieldContainer[DeductionLine]
    deducted: _common_pb2.Money
    settlements: _containers.RepeatedCompositeFieldContainer[SettlementSummary]
    def __init__(self, claim_id: _Optional[str] = ..., encounter: _Optional[_Union[_common_pb2.Encounter, _Mapping]] = ..., patient: _Optional[_Union[_common_pb2.Patient, _Mapping]] = ..., findings: _Optional[_Iterable[_Union[_common_pb2.Finding, _Mapping]]] = ..., trace_id: _Optional[str] = ..., deductions: _Optional[_Iterable[_Union[DeductionLine, _Mapping]]] = ..., deducted: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., settlements: _Optional[_Iterable[_Union[SettlementSummary, _Mapping]]] = ...) -> None: ...

class SettlementSummary(_message.Message):
    __slots__ = ("settlement_id", "state", "total_amount")
    SETTLEMENT_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    TOTAL_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    settlement_id: str
    state: str
    total_amount: _common_pb2.Money
    def __init__(self, settlement_id: _Optional[str] = ..., state: _Optional[str] = ..., total_amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ...) -> None: ...

class ListFindingsRequest(_message.Message):
    __slots__ = ("institution_code", "doctor_code", "rule_id", "period", "page_size", "page_token", "continued_only", "run_id", "state")
    INSTITUTION_CODE_FIELD_NUMBER: _ClassVar[int]
    DOCTOR_CODE_FIELD_NUMBER: _ClassVar[int]
    RULE_ID_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    CONTINUED_ONLY_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    institution_code: str
    doctor_code: str
    rule_id: str
    period: str
    page_size: int
    page_token: str
    continued_only: bool
    run_id: str
    state: str
    def __init__(self, institution_code: _Optional[str] = ..., doctor_code: _Optional[str] = ..., rule_id: _Optional[str] = ..., period: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., continued_only: _Optional[bool] = ..., run_id: _Optional[str] = ..., state: _Optional[str] = ...) -> None: ...

class ListFindingsResponse(_message.Message):
    __slots__ = ("findings", "next_page_token", "total_amount", "total_count")
    FINDINGS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    TOTAL_COUNT_FIELD_NUMBER: _ClassVar[int]
    findings: _containers.RepeatedCompositeFieldContainer[_common_pb2.Finding]
    next_page_token: str
    total_amount: _common_pb2.Money
    total_count: int
    def __init__(self, findings: _Optional[_Iterable[_Union[_common_pb2.Finding, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., total_count: _Optional[int] = ...) -> None: ...

class WarningFeedback(_message.Message):
    __slots__ = ("warning_id", "disposal", "reason")
    WARNING_ID_FIELD_NUMBER: _ClassVar[int]
    DISPOSAL_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    warning_id: str
    disposal: str
    reason: str
    def __init__(self, warning_id: _Optional[str] = ..., disposal: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class RecordFeedbackRequest(_message.Message):
    __slots__ = ("request_id", "feedback", "actor", "institution_code")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    FEEDBACK_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    INSTITUTION_CODE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    feedback: _containers.RepeatedCompositeFieldContainer[WarningFeedback]
    actor: str
    institution_code: str
    def __init__(self, request_id: _Optional[str] = ..., feedback: _Optional[_Iterable[_Union[WarningFeedback, _Mapping]]] = ..., actor: _Optional[str] = ..., institution_code: _Optional[str] = ...) -> None: ...

class RecordFeedbackResponse(_message.Message):
    __slots__ = ("recorded", "replayed")
    RECORDED_FIELD_NUMBER: _ClassVar[int]
    REPLAYED_FIELD_NUMBER: _ClassVar[int]
    recorded: int
    replayed: bool
    def __init__(self, recorded: _Optional[int] = ..., replayed: _Optional[bool] = ...) -> None: ...

class FeeDetail(_message.Message):
    __slots__ = ("detail_sn", "encounter_id", "patient_id", "occurred_at", "item_code", "item_name", "item_type", "quantity", "unit_price", "amount", "dept_code", "doctor_code", "doctor_name", "original_detail_sn", "extra")
    class ExtraEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    DETAIL_SN_FIELD_NUMBER: _ClassVar[int]
    ENCOUNTER_ID_FIELD_NUMBER: _ClassVar[int]
    PATIENT_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    ITEM_CODE_FIELD_NUMBER: _ClassVar[int]
    ITEM_NAME_FIELD_NUMBER: _ClassVar[int]
    ITEM_TYPE_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    UNIT_PRICE_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    DEPT_CODE_FIELD_NUMBER: _ClassVar[int]
    DOCTOR_CODE_FIELD_NUMBER: _ClassVar[int]
    DOCTOR_NAME_FIELD_NUMBER: _ClassVar[int]
    ORIGINAL_DETAIL_SN_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    detail_sn: str
    encounter_id: str
    patient_id: str
    occurred_at: str
    item_code: str
    item_name: str
    item_type: str
    quantity: str
    unit_price: _common_pb2.Money
    amount: _common_pb2.Money
    dept_code: str
    doctor_code: str
    doctor_name: str
    original_detail_sn: str
    extra: _containers.ScalarMap[str, str]
    def __init__(self, detail_sn: _Optional[str] = ..., encounter_id: _Optional[str] = ..., patient_id: _Optional[str] = ..., occurred_at: _Optional[str] = ..., item_code: _Optional[str] = ..., item_name: _Optional[str] = ..., item_type: _Optional[str] = ..., quantity: _Optional[str] = ..., unit_price: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., dept_code: _Optional[str] = ..., doctor_code: _Optional[str] = ..., doctor_name: _Optional[str] = ..., original_detail_sn: _Optional[str] = ..., extra: _Optional[_Mapping[str, str]] = ...) -> None: ...

class UploadFeeDetailsRequest(_message.Message):
    __slots__ = ("request_id", "institution_code", "institution_level", "encounter", "patient", "details")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    INSTITUTION_CODE_FIELD_NUMBER: _ClassVar[int]
    INSTITUTION_LEVEL_FIELD_NUMBER: _ClassVar[int]
    ENCOUNTER_FIELD_NUMBER: _ClassVar[int]
    PATIENT_FIELD_NUMBER: _ClassVar[int]
    DETAILS_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    institution_code: str
    institution_level: str
    encounter: _common_pb2.Encounter
    patient: _common_pb2.Patient
    details: _containers.RepeatedCompositeFieldContainer[FeeDetail]
    def __init__(self, request_id: _Optional[str] = ..., institution_code: _Optional[str] = ..., institution_level: _Optional[str] = ..., encounter: _Optional[_Union[_common_pb2.Encounter, _Mapping]] = ..., patient: _Optional[_Union[_common_pb2.Patient, _Mapping]] = ..., details: _Optional[_Iterable[_Union[FeeDetail, _Mapping]]] = ...) -> None: ...

class RowError(_message.Message):
    __slots__ = ("row", "field", "reason")
    ROW_FIELD_NUMBER: _ClassVar[int]
    FIELD_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    row: int
    field: str
    reason: str
    def __init__(self, row: _Optional[int] = ..., field: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class IngestReport(_message.Message):
    __slots__ = ("accepted", "duplicates", "rejected", "errors", "replayed")
    ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    DUPLICATES_FIELD_NUMBER: _ClassVar[int]
    REJECTED_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    REPLAYED_FIELD_NUMBER: _ClassVar[int]
    accepted: int
    duplicates: int
    rejected: int
    errors: _containers.RepeatedCompositeFieldContainer[RowError]
    replayed: bool
    def __init__(self, accepted: _Optional[int] = ..., duplicates: _Optional[int] = ..., rejected: _Optional[int] = ..., errors: _Optional[_Iterable[_Union[RowError, _Mapping]]] = ..., replayed: _Optional[bool] = ...) -> None: ...

class SettleRequest(_message.Message):
    __slots__ = ("request_id", "settlement_id", "encounter_id", "patient_id", "institution_code", "total_amount", "fund_paid", "cash_paid", "settled_at", "invoice_no", "extra")
    class ExtraEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    SETTLEMENT_ID_FIELD_NUMBER: _ClassVar[int]
    ENCOUNTER_ID_FIELD_NUMBER: _ClassVar[int]
    PATIENT_ID_FIELD_NUMBER: _ClassVar[int]
    INSTITUTION_CODE_FIELD_NUMBER: _ClassVar[int]
    TOTAL_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    FUND_PAID_FIELD_NUMBER: _ClassVar[int]
    CASH_PAID_FIELD_NUMBER: _ClassVar[int]
    SETTLED_AT_FIELD_NUMBER: _ClassVar[int]
    INVOICE_NO_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    settlement_id: str
    encounter_id: str
    patient_id: str
    institution_code: str
    total_amount: _common_pb2.Money
    fund_paid: _common_pb2.Money
    cash_paid: _common_pb2.Money
    settled_at: str
    invoice_no: str
    extra: _containers.ScalarMap[str, str]
    def __init__(self, request_id: _Optional[str] = ..., settlement_id: _Optional[str] = ..., encounter_id: _Optional[str] = ..., patient_id: _Optional[str] = ..., institution_code: _Optional[str] = ..., total_amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., fund_paid: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., cash_paid: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., settled_at: _Optional[str] = ..., invoice_no: _Optional[str] = ..., extra: _Optional[_Mapping[str, str]] = ...) -> None: ...

class ReverseSettlementRequest(_message.Message):
    __slots__ = ("request_id", "settlement_id", "institution_code", "reason", "extra")
    class ExtraEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    SETTLEMENT_ID_FIELD_NUMBER: _ClassVar[int]
    INSTITUTION_CODE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    settlement_id: str
    institution_code: str
    reason: str
    extra: _containers.ScalarMap[str, str]
    def __init__(self, request_id: _Optional[str] = ..., settlement_id: _Optional[str] = ..., institution_code: _Optional[str] = ..., reason: _Optional[str] = ..., extra: _Optional[_Mapping[str, str]] = ...) -> None: ...

class SettleResponse(_message.Message):
    __slots__ = ("settlement_id", "claim_id", "state", "replayed")
    SETTLEMENT_ID_FIELD_NUMBER: _ClassVar[int]
    CLAIM_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    REPLAYED_FIELD_NUMBER: _ClassVar[int]
    settlement_id: str
    claim_id: str
    state: str
    replayed: bool
    def __init__(self, settlement_id: _Optional[str] = ..., claim_id: _Optional[str] = ..., state: _Optional[str] = ..., replayed: _Optional[bool] = ...) -> None: ...

class StartAuditRunRequest(_message.Message):
    __slots__ = ("request_id", "period", "rule_pack_version", "partition", "partitions")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    RULE_PACK_VERSION_FIELD_NUMBER: _ClassVar[int]
    PARTITION_FIELD_NUMBER: _ClassVar[int]
    PARTITIONS_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    period: str
    rule_pack_version: str
    partition: int
    partitions: int
    def __init__(self, request_id: _Optional[str] = ..., period: _Optional[str] = ..., rule_pack_version: _Optional[str] = ..., partition: _Optional[int] = ..., partitions: _Optional[int] = ...) -> None: ...

class AuditRun(_message.Message):
    __slots__ = ("run_id", "period", "rule_pack_version", "state", "lines_total", "lines_done", "findings", "lines_per_second", "started_at", "finished_at", "partition", "partitions", "error", "chunks_done")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    RULE_PACK_VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    LINES_TOTAL_FIELD_NUMBER: _ClassVar[int]
    LINES_DONE_FIELD_NUMBER: _ClassVar[int]
    FINDINGS_FIELD_NUMBER: _ClassVar[int]
    LINES_PER_SECOND_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    FINISHED_AT_FIELD_NUMBER: _ClassVar[int]
    PARTITION_FIELD_NUMBER: _ClassVar[int]
    PARTITIONS_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    CHUNKS_DONE_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    period: str
    rule_pack_version: str
    state: str
    lines_total: int
    lines_done: int
    findings: int
    lines_per_second: float
    started_at: str
    finished_at: str
    partition: int
    partitions: int
    error: str
    chunks_done: int
    def __init__(self, run_id: _Optional[str] = ..., period: _Optional[str] = ..., rule_pack_version: _Optional[str] = ..., state: _Optional[str] = ..., lines_total: _Optional[int] = ..., lines_done: _Optional[int] = ..., findings: _Optional[int] = ..., lines_per_second: _Optional[float] = ..., started_at: _Optional[str] = ..., finished_at: _Optional[str] = ..., partition: _Optional[int] = ..., partitions: _Optional[int] = ..., error: _Optional[str] = ..., chunks_done: _Optional[int] = ...) -> None: ...

class GetAuditRunRequest(_message.Message):
    __slots__ = ("run_id",)
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    def __init__(self, run_id: _Optional[str] = ...) -> None: ...

class CompareAuditRunsRequest(_message.Message):
    __slots__ = ("base_run_id", "other_run_id")
    BASE_RUN_ID_FIELD_NUMBER: _ClassVar[int]
    OTHER_RUN_ID_FIELD_NUMBER: _ClassVar[int]
    base_run_id: str
    other_run_id: str
    def __init__(self, base_run_id: _Optional[str] = ..., other_run_id: _Optional[str] = ...) -> None: ...

class RuleDelta(_message.Message):
    __slots__ = ("rule_id", "institution_code", "base_findings", "other_findings", "base_amount", "other_amount")
    RULE_ID_FIELD_NUMBER: _ClassVar[int]
    INSTITUTION_CODE_FIELD_NUMBER: _ClassVar[int]
    BASE_FINDINGS_FIELD_NUMBER: _ClassVar[int]
    OTHER_FINDINGS_FIELD_NUMBER: _ClassVar[int]
    BASE_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    OTHER_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    rule_id: str
    institution_code: str
    base_findings: int
    other_findings: int
    base_amount: _common_pb2.Money
    other_amount: _common_pb2.Money
    def __init__(self, rule_id: _Optional[str] = ..., institution_code: _Optional[str] = ..., base_findings: _Optional[int] = ..., other_findings: _Optional[int] = ..., base_amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., other_amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ...) -> None: ...

class CompareAuditRunsResponse(_message.Message):
    __slots__ = ("deltas",)
    DELTAS_FIELD_NUMBER: _ClassVar[int]
    deltas: _containers.RepeatedCompositeFieldContainer[RuleDelta]
    def __init__(self, deltas: _Optional[_Iterable[_Union[RuleDelta, _Mapping]]] = ...) -> None: ...

class PublishFindingsRequest(_message.Message):
    __slots__ = ("request_id", "period", "institution_code", "actor", "run_id")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    INSTITUTION_CODE_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    period: str
    institution_code: str
    actor: str
    run_id: str
    def __init__(self, request_id: _Optional[str] = ..., period: _Optional[str] = ..., institution_code: _Optional[str] = ..., actor: _Optional[str] = ..., run_id: _Optional[str] = ...) -> None: ...

class PublishFindingsResponse(_message.Message):
    __slots__ = ("published", "appeal_deadline", "replayed", "run_ids")
    PUBLISHED_FIELD_NUMBER: _ClassVar[int]
    APPEAL_DEADLINE_FIELD_NUMBER: _ClassVar[int]
    REPLAYED_FIELD_NUMBER: _ClassVar[int]
    RUN_IDS_FIELD_NUMBER: _ClassVar[int]
    published: int
    appeal_deadline: str
    replayed: bool
    run_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, published: _Optional[int] = ..., appeal_deadline: _Optional[str] = ..., replayed: _Optional[bool] = ..., run_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class AppealFindingRequest(_message.Message):
    __slots__ = ("request_id", "finding_id", "institution_code", "reason", "evidence_refs", "actor")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    FINDING_ID_FIELD_NUMBER: _ClassVar[int]
    INSTITUTION_CODE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_REFS_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    finding_id: str
    institution_code: str
    reason: str
    evidence_refs: _containers.RepeatedScalarFieldContainer[str]
    actor: str
    def __init__(self, request_id: _Optional[str] = ..., finding_id: _Optional[str] = ..., institution_code: _Optional[str] = ..., reason: _Optional[str] = ..., evidence_refs: _Optional[_Iterable[str]] = ..., actor: _Optional[str] = ...) -> None: ...

class ReviewAppealRequest(_message.Message):
    __slots__ = ("request_id", "finding_id", "decision", "reason", "reviewer")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    FINDING_ID_FIELD_NUMBER: _ClassVar[int]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REVIEWER_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    finding_id: str
    decision: str
    reason: str
    reviewer: str
    def __init__(self, request_id: _Optional[str] = ..., finding_id: _Optional[str] = ..., decision: _Optional[str] = ..., reason: _Optional[str] = ..., reviewer: _Optional[str] = ...) -> None: ...

class FindingEvent(_message.Message):
    __slots__ = ("event_id", "finding_id", "from_state", "to_state", "actor", "reason", "occurred_at")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    FINDING_ID_FIELD_NUMBER: _ClassVar[int]
    FROM_STATE_FIELD_NUMBER: _ClassVar[int]
    TO_STATE_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    finding_id: str
    from_state: str
    to_state: str
    actor: str
    reason: str
    occurred_at: str
    def __init__(self, event_id: _Optional[str] = ..., finding_id: _Optional[str] = ..., from_state: _Optional[str] = ..., to_state: _Optional[str] = ..., actor: _Optional[str] = ..., reason: _Optional[str] = ..., occurred_at: _Optional[str] = ...) -> None: ...

class ConfirmDueFindingsRequest(_message.Message):
    __slots__ = ("request_id", "as_of")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    as_of: str
    def __init__(self, request_id: _Optional[str] = ..., as_of: _Optional[str] = ...) -> None: ...

class ConfirmDueFindingsResponse(_message.Message):
    __slots__ = ("confirmed", "replayed")
    CONFIRMED_FIELD_NUMBER: _ClassVar[int]
    REPLAYED_FIELD_NUMBER: _ClassVar[int]
    confirmed: int
    replayed: bool
    def __init__(self, confirmed: _Optional[int] = ..., replayed: _Optional[bool] = ...) -> None: ...

class GetDeductionStatementRequest(_message.Message):
    __slots__ = ("institution_code", "period")
    INSTITUTION_CODE_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    institution_code: str
    period: str
    def __init__(self, institution_code: _Optional[str] = ..., period: _Optional[str] = ...) -> None: ...

class DeductionLine(_message.Message):
    __slots__ = ("claim_id", "line_id", "finding_ids", "line_amount", "largest_finding", "deducted", "how")
    CLAIM_ID_FIELD_NUMBER: _ClassVar[int]
    LINE_ID_FIELD_NUMBER: _ClassVar[int]
    FINDING_IDS_FIELD_NUMBER: _ClassVar[int]
    LINE_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    LARGEST_FINDING_FIELD_NUMBER: _ClassVar[int]
    DEDUCTED_FIELD_NUMBER: _ClassVar[int]
    HOW_FIELD_NUMBER: _ClassVar[int]
    claim_id: str
    line_id: str
    finding_ids: _containers.RepeatedScalarFieldContainer[str]
    line_amount: _common_pb2.Money
    largest_finding: _common_pb2.Money
    deducted: _common_pb2.Money
    how: str
    def __init__(self, claim_id: _Optional[str] = ..., line_id: _Optional[str] = ..., finding_ids: _Optional[_Iterable[str]] = ..., line_amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., largest_finding: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., deducted: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., how: _Optional[str] = ...) -> None: ...

class DeductionStatement(_message.Message):
    __slots__ = ("institution_code", "period", "lines", "total")
    INSTITUTION_CODE_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    institution_code: str
    period: str
    lines: _containers.RepeatedCompositeFieldContainer[DeductionLine]
    total: _common_pb2.Money
    def __init__(self, institution_code: _Optional[str] = ..., period: _Optional[str] = ..., lines: _Optional[_Iterable[_Union[DeductionLine, _Mapping]]] = ..., total: _Optional[_Union[_common_pb2.Money, _Mapping]] = ...) -> None: ...

class ListFindingEventsRequest(_message.Message):
    __slots__ = ("finding_id", "page_size", "page_token")
    FINDING_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    finding_id: str
    page_size: int
    page_token: str
    def __init__(self, finding_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListFindingEventsResponse(_message.Message):
    __slots__ = ("events", "next_page_token")
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[FindingEvent]
    next_page_token: str
    def __init__(self, events: _Optional[_Iterable[_Union[FindingEvent, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetDoctorVolumesRequest(_message.Message):
    __slots__ = ("doctor_codes", "period")
    DOCTOR_CODES_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    doctor_codes: _containers.RepeatedScalarFieldContainer[str]
    period: str
    def __init__(self, doctor_codes: _Optional[_Iterable[str]] = ..., period: _Optional[str] = ...) -> None: ...

class DoctorVolume(_message.Message):
    __slots__ = ("doctor_code", "encounters", "patients", "lines", "total_cost", "cost_per_encounter", "cost_per_patient")
    DOCTOR_CODE_FIELD_NUMBER: _ClassVar[int]
    ENCOUNTERS_FIELD_NUMBER: _ClassVar[int]
    PATIENTS_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    TOTAL_COST_FIELD_NUMBER: _ClassVar[int]
    COST_PER_ENCOUNTER_FIELD_NUMBER: _ClassVar[int]
    COST_PER_PATIENT_FIELD_NUMBER: _ClassVar[int]
    doctor_code: str
    encounters: int
    patients: int
    lines: int
    total_cost: _common_pb2.Money
    cost_per_encounter: _common_pb2.Money
    cost_per_patient: _common_pb2.Money
    def __init__(self, doctor_code: _Optional[str] = ..., encounters: _Optional[int] = ..., patients: _Optional[int] = ..., lines: _Optional[int] = ..., total_cost: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., cost_per_encounter: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., cost_per_patient: _Optional[_Union[_common_pb2.Money, _Mapping]] = ...) -> None: ...

class GetDoctorVolumesResponse(_message.Message):
    __slots__ = ("volumes",)
    VOLUMES_FIELD_NUMBER: _ClassVar[int]
    volumes: _containers.RepeatedCompositeFieldContainer[DoctorVolume]
    def __init__(self, volumes: _Optional[_Iterable[_Union[DoctorVolume, _Mapping]]] = ...) -> None: ...
