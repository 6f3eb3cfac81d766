from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class BindingStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BINDING_STATUS_UNSPECIFIED: _ClassVar[BindingStatus]
    BINDING_STATUS_VALID: _ClassVar[BindingStatus]
    BINDING_STATUS_UNKNOWN_CODE: _ClassVar[BindingStatus]
    BINDING_STATUS_NOT_REGISTERED: _ClassVar[BindingStatus]
    BINDING_STATUS_SUSPENDED: _ClassVar[BindingStatus]
    BINDING_STATUS_TERMINATED: _ClassVar[BindingStatus]
    BINDING_STATUS_MISSING_CODE: _ClassVar[BindingStatus]
BINDING_STATUS_UNSPECIFIED: BindingStatus
BINDING_STATUS_VALID: BindingStatus
BINDING_STATUS_UNKNOWN_CODE: BindingStatus
BINDING_STATUS_NOT_REGISTERED: BindingStatus
BINDING_STATUS_SUSPENDED: BindingStatus
BINDING_STATUS_TERMINATED: BindingStatus
BINDING_STATUS_MISSING_CODE: BindingStatus

class SuspendStaffRequest(_message.Message):
    __slots__ = ("decision_id", "staff_code", "start_date", "end_date", "reason", "decided_by")
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    STAFF_CODE_FIELD_NUMBER: _ClassVar[int]
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    END_DATE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    DECIDED_BY_FIELD_NUMBER: _ClassVar[int]
    decision_id: str
    staff_code: str
    start_date: str
    end_date: str
    reason: str
    decided_by: str
    def __init__(self, decision_id: _Optional[str] = ..., staff_code: _Optional[str] = ..., start_date: _Optional[str] = ..., end_date: _Optional[str] = ..., reason: _Optional[str] = ..., decided_by: _Optional[str] = ...) -> None: ...

class TerminateStaffRequest(_message.Message):
    __slots__ = ("decision_id", "staff_code", "effective_date", "ban_until", "reason", "decided_by")
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    STAFF_CODE_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_DATE_FIELD_NUMBER: _ClassVar[int]
    BAN_UNTIL_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    DECIDED_BY_FIELD_NUMBER: _ClassVar[int]
    decision_id: str
    staff_code: str
    effective_date: str
    ban_until: str
    reason: str
    decided_by: str
    def __init__(self, decision_id: _Optional[str] = ..., staff_code: _Optional[str] = ..., effective_date: _Optional[str] = ..., ban_until: _Optional[str] = ..., reason: _Optional[str] = ..., decided_by: _Optional[str] = ...) -> None: ...

class LiftSanctionRequest(_message.Message):
    __slots__ = ("decision_id", "lift_decision_id", "reason", "decided_by", "effective_date")
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    LIFT_DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    DECIDED_BY_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_DATE_FIELD_NUMBER: _ClassVar[int]
    decision_id: str
    lift_decision_id: str
    reason: str
    decided_by: str
    effective_date: str
    def __init__(self, decision_id: _Optional[str] = ..., lift_decision_id: _Optional[str] = ..., reason: _Optional[str] = ..., decided_by: _Optional[str] = ..., effective_date: _Optional[str] = ...) -> None: ...

class SanctionResponse(_message.Message):
    __slots__ = ("decision_id", "already_applied", "staff_status_today", "staff_code")
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    ALREADY_APPLIED_FIELD_NUMBER: _ClassVar[int]
    STAFF_STATUS_TODAY_FIELD_NUMBER: _ClassVar[int]
    STAFF_CODE_FIELD_NUMBER: _ClassVar[int]
    decision_id: str
    already_applied: bool
    staff_status_today: str
    staff_code: str
    def __init__(self, decision_id: _Optional[str] = ..., already_applied: _Optional[bool] = ..., staff_status_today: _Optional[str] = ..., staff_code: _Optional[str] = ...) -> None: ...

class Institution(_message.Message):
    __slots__ = ("code", "name", "level", "type", "division", "agreement_status", "agreement_effective_from")
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    DIVISION_FIELD_NUMBER: _ClassVar[int]
    AGREEMENT_STATUS_FIELD_NUMBER: _ClassVar[int]
    AGREEMENT_EFFECTIVE_FROM_FIELD_NUMBER: _ClassVar[int]
    code: str
    name: str
    level: str
    type: str
    division: str
    agreement_status: str
    agreement_effective_from: str
    def __init__(self, code: _Optional[str] = ..., name: _Optional[str] = ..., level: _Optional[str] = ..., type: _Optional[str] = ..., division: _Optional[str] = ..., agreement_status: _Optional[str] = ..., agreement_effective_from: _Optional[str] = ...) -> None: ...

class Staff(_message.Message):
    __slots__ = ("code", "name", "role", "title", "dept_code", "id_number_masked", "status", "id_number")
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    DEPT_CODE_FIELD_NUMBER: _ClassVar[int]
    ID_NUMBER_MASKED_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ID_NUMBER_FIELD_NUMBER: _ClassVar[int]
    code: str
    name: str
    role: str
    title: str
    dept_code: str
    id_number_masked: str
    status: str
    id_number: str
    def __init__(self, code: _Optional[str] = ..., name: _Optional[str] = ..., role: _Optional[str] = ..., title: _Optional[str] = ..., dept_code: _Optional[str] = ..., id_number_masked: _Optional[str] = ..., status: _Optional[str] = ..., id_number: _Optional[str] = ...) -> None: ...

class Registration(_message.Message):
    __slots__ = ("staff_code", "institution_code", "valid_from", "valid_to", "effective_to", "recorded_by")
    STAFF_CODE_FIELD_NUMBER: _ClassVar[int]
    INSTITUTION_CODE_FIELD_NUMBER: _ClassVar[int]
    VALID_FROM_FIELD_NUMBER: _ClassVar[int]
    VALID_TO_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_TO_FIELD_NUMBER: _ClassVar[int]
    RECORDED_BY_FIELD_NUMBER: _ClassVar[int]
    staff_code: str
    institution_code: str
    valid_from: str
    valid_to: str
    effective_to: str
    recorded_by: str
    def __init__(self, staff_code: _Optional[str] = ..., institution_code: _Optional[str] = ..., valid_from: _Optional[str] = ..., valid_to: _Optional[str] = ..., effective_to: _Optional[str] = ..., recorded_by: _Optional[str] = ...) -> None: ...

class UpsertInstitutionRequest(_message.Message):
    __slots__ = ("request_id", "institution", "changed_by", "reason")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    INSTITUTION_FIELD_NUMBER: _ClassVar[int]
    CHANGED_BY_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    institution: Institution
    changed_by: str
    reason: str
    def __init__(self, request_id: _Optional[str] = ..., institution: _Optional[_Union[Institution, _Mapping]] = ..., changed_by: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class UpsertStaffRequest(_message.Message):
    __slots__ = ("request_id", "staff", "id_number", "changed_by", "reason")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    STAFF_FIELD_NUMBER: _ClassVar[int]
    ID_NUMBER_FIELD_NUMBER: _ClassVar[int]
    CHANGED_BY_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    staff: Staff
    id_number: str
    changed_by: str
    reason: str
    def __init__(self, request_id: _Optional[str] = ..., staff: _Optional[_Union[Staff, _Mapping]] = ..., id_number: _Optional[str] = ..., changed_by: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class AddRegistrationRequest(_message.Message):
    __slots__ = ("request_id", "registration", "changed_by", "reason")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    REGISTRATION_FIELD_NUMBER: _ClassVar[int]
    CHANGED_BY_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    registration: Registration
    changed_by: str
    reason: str
    def __init__(self, request_id: _Optional[str] = ..., registration: _Optional[_Union[Registration, _Mapping]] = ..., changed_by: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class GetStaffRequest(_message.Message):
    __slots__ = ("code", "unmask")
    CODE_FIELD_NUMBER: _ClassVar[int]
    UNMASK_FIELD_NUMBER: _ClassVar[int]
    code: str
    unmask: bool
    def __init__(self, code: _Optional[str] = ..., unmask: _Optional[bool] = ...) -> None: ...

class GetInstitutionRequest(_message.Message):
    __slots__ = ("code",)
    CODE_FIELD_NUMBER: _ClassVar[int]
    code: str
    def __init__(self, code: _Optional[str] = ...) -> None: ...

class AgreementEvent(_message.Message):
    __slots__ = ("agreement_status", "effective_from", "reason", "changed_by", "recorded_at")
    AGREEMENT_STATUS_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_FROM_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    CHANGED_BY_FIELD_NUMBER: _ClassVar[int]
    RECORDED_AT_FIELD_NUMBER: _ClassVar[int]
    agreement_status: str
    effective_from: str
    reason: str
    changed_by: str
    recorded_at: str
    def __init__(self, agreement_status: _Optional[str] = ..., effective_from: _Optional[str] = ..., reason: _Optional[str] = ..., changed_by: _Optional[str] = ..., recorded_at: _Optional[str] = ...) -> None: ...

class InstitutionRecord(_message.Message):
    __slots__ = ("institution", "agreement_history")
    INSTITUTION_FIELD_NUMBER: _ClassVar[int]
    AGREEMENT_HISTORY_FIELD_NUMBER: _ClassVar[int]
    institution: Institution
    agreement_history: _containers.RepeatedCompositeFieldContainer[AgreementEvent]
    def __init__(self, institution: _Optional[_Union[Institution, _Mapping]] = ..., agreement_history: _Optional[_Iterable[_Union[AgreementEvent, _Mapping]]] = ...) -> None: ...

class RowError(_message.Message):
    __slots__ = ("row", "field", "reason")
    ROW_FIELD_NUMBER: _ClassVar[int]
    FIELD_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    row: int
    field: str
    reason: str
    def __init__(self, row: _Optional[int] = ..., field: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class ImportRegistryRequest(_message.Message):
    __slots__ = ("request_id", "kind", "csv", "changed_by", "reason")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    CSV_FIELD_NUMBER: _ClassVar[int]
    CHANGED_BY_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    kind: str
    csv: bytes
    changed_by: str
    reason: str
    def __init__(self, request_id: _Optional[str] = ..., kind: _Optional[str] = ..., csv: _Optional[bytes] = ..., changed_by: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class ImportReport(_message.Message):
    __slots__ = ("rows", "accepted", "unchanged", "rejected", "errors")
    ROWS_FIELD_NUMBER: _ClassVar[int]
    ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    UNCHANGED_FIELD_NUMBER: _ClassVar[int]
    REJECTED_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    rows: int
    accepted: int
    unchanged: int
    rejected: int
    errors: _containers.RepeatedCompositeFieldContainer[RowError]
    def __init__(self, rows: _Optional[int] = ..., accepted: _Optional[int] = ..., unchanged: _Optional[int] = ..., rejected: _Optional[int] = ..., errors: _Optional[_Iterable[_Union[RowError, _Mapping]]] = ...) -> None: ...

class ExportRegistryRequest(_message.Message):
    __slots__ = ("kind", "unmask")
    KIND_FIELD_NUMBER: _ClassVar[int]
    UNMASK_FIELD_NUMBER: _ClassVar[int]
    kind: str
    unmask: bool
    def __init__(self, kind: _Optional[str] = ..., unmask: _Optional[bool] = ...) -> None: ...

class ExportRegistryResponse(_message.Message):
    __slots__ = ("csv", "rows")
    CSV_FIELD_NUMBER: _ClassVar[int]
    ROWS_FIELD_NUMBER: _ClassVar[int]
    csv: bytes
    rows: int
    def __init__(self, csv: _Optional[bytes] = ..., rows: _Optional[int] = ...) -> None: ...

class VerifyBindingsBulkRequest(_message.Message):
    __slots__ = ("arrow_ipc",)
    ARROW_IPC_FIELD_NUMBER: _ClassVar[int]
    arrow_ipc: bytes
    def __init__(self, arrow_ipc: _Optional[bytes] = ...) -> None: ...

class VerifyBindingsBulkResponse(_message.Message):
    __slots__ = ("arrow_ipc", "lines", "registry_version")
    ARROW_IPC_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    REGISTRY_VERSION_FIELD_NUMBER: _ClassVar[int]
    arrow_ipc: bytes
    lines: int
    registry_version: int
    def __init__(self, arrow_ipc: _Optional[bytes] = ..., lines: _Optional[int] = ..., registry_version: _Optional[int] = ...) -> None: ...

class StatusEvent(_message.Message):
    __slots__ = ("decision_id", "status", "start_date", "end_date", "ban_until", "reason", "decided_by", "recorded_at", "lifts_decision_id")
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    END_DATE_FIELD_NUMBER: _ClassVar[int]
    BAN_UNTIL_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    DECIDED_BY_FIELD_NUMBER: _ClassVar[int]
    RECORDED_AT_FIELD_NUMBER: _ClassVar[int]
    LIFTS_DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    decision_id: str
    status: str
    start_date: str
    end_date: str
    ban_until: str
    reason: str
    decided_by: str
    recorded_at: str
    lifts_decision_id: str
    def __init__(self, decision_id: _Optional[str] = ..., status: _Optional[str] = ..., start_date: _Optional[str] = ..., end_date: _Optional[str] = ..., ban_until: _Optional[str] = ..., reason: _Optional[str] = ..., decided_by: _Optional[str] = ..., recorded_at: _Optional[str] = ..., lifts_decision_id: _Optional[str] = ...) -> None: ...

class PeerGroup(_message.Message):
    __slots__ = ("role", "dept_code", "institution_level")
    ROLE_FIELD_NUMBER: _ClassVar[int]
    DEPT_CODE_FIELD_NUMBER: _ClassVar[int]
    INSTITUTION_LEVEL_FIELD_NUMBER: _ClassVar[int]
    role: str
    dept_code: str
    institution_level: str
    def __init__(self, role: _Optional[str] = ..., dept_code: _Optional[str] = ..., institution_level: _Optional[str] = ...) -> None: ...

class GetStaffProfileRequest(_message.Message):
    __slots__ = ("code", "as_of", "unmask")
    CODE_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    UNMASK_FIELD_NUMBER: _ClassVar[int]
    code: str
    as_of: str
    unmask: bool
    def __init__(self, code: _Optional[str] = ..., as_of: _Optional[str] = ..., unmask: _Optional[bool] = ...) -> None: ...

class StaffProfile(_message.Message):
    __slots__ = ("staff", "registrations", "status_history", "status_on_date", "as_of", "peer_groups", "institutions")
    STAFF_FIELD_NUMBER: _ClassVar[int]
    REGISTRATIONS_FIELD_NUMBER: _ClassVar[int]
    STATUS_HISTORY_FIELD_NUMBER: _ClassVar[int]
    STATUS_ON_DATE_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    PEER_GROUPS_FIELD_NUMBER: _ClassVar[int]
    INSTITUTIONS_FIELD_NUMBER: _ClassVar[int]
    staff: Staff
    registrations: _containers.RepeatedCompositeFieldContainer[Registration]
    status_history: _containers.RepeatedCompositeFieldContainer[StatusEvent]
    status_on_date: str
    as_of: str
    peer_groups: _containers.RepeatedCompositeFieldContainer[PeerGroup]
    institutions: _containers.RepeatedCompositeFieldContainer[Institution]
    def __init__(self, staff: _Optional[_Union[Staff, _Mapping]] = ..., registrations: _Optional[_Iterable[_Union[Registration, _Mapping]]] = ..., status_history: _Optional[_Iterable[_Union[StatusEvent, _Mapping]]] = ..., status_on_date: _Optional[str] = ..., as_of: _Optional[str] = ..., peer_groups: _Optional[_Iterable[_Union[PeerGroup, _Mapping]]] = ..., institutions: _Optional[_Iterable[_Union[Institution, _Mapping]]] = ...) -> None: ...

class ListPeersRequest(_message.Message):
    __slots__ = ("staff_code", "as_of", "institution_level", "page_size", "page_token")
    STAFF_CODE_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    INSTITUTION_LEVEL_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    staff_code: str
    as_of: str
    institution_level: str
    page_size: int
    page_token: str
    def __init__(self, staff_code: _Optional[str] = ..., as_of: _Optional[str] = ..., institution_level: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListPeersResponse(_message.Message):
    __slots__ = ("peer_groups", "staff_codes", "next_page_token")
    PEER_GROUPS_FIELD_NUMBER: _ClassVar[int]
    STAFF_CODES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    peer_groups: _containers.RepeatedCompositeFieldContainer[PeerGroup]
    staff_codes: _containers.RepeatedScalarFieldContainer[str]
    next_page_token: str
    def __init__(self, peer_groups: _Optional[_Iterable[_Union[PeerGroup, _Mapping]]] = ..., staff_codes: _Optional[_Iterable[str]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListStaffRequest(_message.Message):
    __slots__ = ("dept_code", "institution_code", "id_number", "as_of", "page_size", "page_token")
    DEPT_CODE_FIELD_NUMBER: _ClassVar[int]
    INSTITUTION_CODE_FIELD_NUMBER: _ClassVar[int]
    ID_NUMBER_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    dept_code: str
    institution_code: str
    id_number: str
    as_of: str
    page_size: int
    page_token: str
    def __init__(self, dept_code: _Optional[str] = ..., institution_code: _Optional[str] = ..., id_number: _Optional[str] = ..., as_of: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListStaffResponse(_message.Message):
    __slots__ = ("staff", "next_page_token")
    STAFF_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    staff: _containers.RepeatedCompositeFieldContainer[Staff]
    next_page_token: str
    def __init__(self, staff: _Optional[_Iterable[_Union[Staff, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class BindingQuery(_message.Message):
    __slots__ = ("line_id", "staff_code", "institution_code", "service_date")
    LINE_ID_FIELD_NUMBER: _ClassVar[int]
    STAFF_CODE_FIELD_NUMBER: _ClassVar[int]
    INSTITUTION_CODE_FIELD_NUMBER: _ClassVar[int]
    SERVICE_DATE_FIELD_NUMBER: _ClassVar[int]
    line_id: str
    staff_code: str
    institution_code: str
    service_date: str
    def __init__(self, line_id: _Optional[str] = ..., staff_code: _Optional[str] = ..., institution_code: _Optional[str] = ..., service_date: _Optional[str] = ...) -> None: ...

class BindingResult(_message.Message):
    __slots__ = ("line_id", "status", "detail")
    LINE_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    line_id: str
    status: BindingStatus
    detail: str
    def __init__(self, line_id: _Optional[str] = ..., status: _Optional[_Union[BindingStatus, str]] = ..., detail: _Optional[str] = ...) -> None: ...

class VerifyBindingsRequest(_message.Message):
    __slots__ = ("lines",)
    LINES_FIELD_NUMBER: _ClassVar[int]
    lines: _containers.RepeatedCompositeFieldContainer[BindingQuery]
    def __init__(self, lines: _Optional[_Iterable[_Union[BindingQuery, _Mapping]]] = ...) -> None: ...

class VerifyBindingsResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[BindingResult]
    def __init__(self, results: _Optional[_Iterable[_Union[BindingResult, _Mapping]]] = ...) -> None: ...
