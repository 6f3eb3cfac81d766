from fundguard.common.v1 import common_pb2 as _common_pb2
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

class GetClaimRequest(_message.Message):
    __slots__ = ("claim_id",)
    CLAIM_ID_FIELD_NUMBER: _ClassVar[int]
    claim_id: str
    def __init__(self, claim_id: _Optional[str] = ...) -> None: ...

class Claim(_message.Message):
    __slots__ = ("claim_id", "encounter", "patient", "findings", "trace_id")
    CLAIM_ID_FIELD_NUMBER: _ClassVar[int]
    ENCOUNTER_FIELD_NUMBER: _ClassVar[int]
    PATIENT_FIELD_NUMBER: _ClassVar[int]
    FINDINGS_FIELD_NUMBER: _ClassVar[int]
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    claim_id: str
    encounter: _common_pb2.Encounter
    patient: _common_pb2.Patient
    findings: _containers.RepeatedCompositeFieldContainer[_common_pb2.Finding]
    trace_id: str
    def __init__(self, claim_id: _Optional[str] = ..., encounter: _Optional[_Union[_common_pb2.Encounter, _Mapping]] = ..., patient: _Optional[_Union[_common_pb2.Patient, _Mapping]] = ..., findings: _Optional[_Iterable[_Union[_common_pb2.Finding, _Mapping]]] = ..., trace_id: _Optional[str] = ...) -> None: ...

class ListFindingsRequest(_message.Message):
    __slots__ = ("institution_code", "doctor_code", "rule_id", "period", "page_size", "page_token")
    INSTITUTION_CODE_FIELD_NUMBER: _ClassVar[int]
    DOCTOR_CODE_FIELD_NUMBER: _ClassVar[int]
    RULE_ID_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    institution_code: str
    doctor_code: str
    rule_id: str
    period: str
    page_size: int
    page_token: str
    def __init__(self, institution_code: _Optional[str] = ..., doctor_code: _Optional[str] = ..., rule_id: _Optional[str] = ..., period: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListFindingsResponse(_message.Message):
    __slots__ = ("findings", "next_page_token", "total_amount")
    FINDINGS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    findings: _containers.RepeatedCompositeFieldContainer[_common_pb2.Finding]
    next_page_token: str
    total_amount: _common_pb2.Money
    def __init__(self, findings: _Optional[_Iterable[_Union[_common_pb2.Finding, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ...) -> None: ...
