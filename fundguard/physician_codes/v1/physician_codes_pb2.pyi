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
    __slots__ = ("decision_id", "lift_decision_id", "reason", "decided_by")
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    LIFT_DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    DECIDED_BY_FIELD_NUMBER: _ClassVar[int]
    decision_id: str
    lift_decision_id: str
    reason: str
    decided_by: str
    def __init__(self, decision_id: _Optional[str] = ..., lift_decision_id: _Optional[str] = ..., reason: _Optional[str] = ..., decided_by: _Optional[str] = ...) -> None: ...

class SanctionResponse(_message.Message):
    __slots__ = ("decision_id", "already_applied", "staff_status_today")
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    ALREADY_APPLIED_FIELD_NUMBER: _ClassVar[int]
    STAFF_STATUS_TODAY_FIELD_NUMBER: _ClassVar[int]
    decision_id: str
    already_applied: bool
    staff_status_today: str
    def __init__(self, decision_id: _Optional[str] = ..., already_applied: _Optional[bool] = ..., staff_status_today: _Optional[str] = ...) -> None: ...

class Institution(_message.Message):
    __slots__ = ("code", "name", "level", "type", "division", "agreement_status")
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    DIVISION_FIELD_NUMBER: _ClassVar[int]
    AGREEMENT_STATUS_FIELD_NUMBER: _ClassVar[int]
    code: str
    name: str
    level: str
    type: str
    division: str
    agreement_status: str
    def __init__(self, code: _Optional[str] = ..., name: _Optional[str] = ..., level: _Optional[str] = ..., type: _Optional[str] = ..., division: _Optional[str] = ..., agreement_status: _Optional[str] = ...) -> None: ...

class Staff(_message.Message):
    __slots__ = ("code", "name", "role", "title", "dept_code", "id_number_masked", "status")
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    DEPT_CODE_FIELD_NUMBER: _ClassVar[int]
    ID_NUMBER_MASKED_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    code: str
    name: str
    role: str
    title: str
    dept_code: str
    id_number_masked: str
    status: str
    def __init__(self, code: _Optional[str] = ..., name: _Optional[str] = ..., role: _Optional[str] = ..., title: _Optional[str] = ..., dept_code: _Optional[str] = ..., id_number_masked: _Optional[str] = ..., status: _Optional[str] = ...) -> None: ...

class Registration(_message.Message):
    __slots__ = ("staff_code", "institution_code", "valid_from", "valid_to")
    STAFF_CODE_FIELD_NUMBER: _ClassVar[int]
    INSTITUTION_CODE_FIELD_NUMBER: _ClassVar[int]
    VALID_FROM_FIELD_NUMBER: _ClassVar[int]
    VALID_TO_FIELD_NUMBER: _ClassVar[int]
    staff_code: str
    institution_code: str
    valid_from: str
    valid_to: str
    def __init__(self, staff_code: _Optional[str] = ..., institution_code: _Optional[str] = ..., valid_from: _Optional[str] = ..., valid_to: _Optional[str] = ...) -> None: ...

class UpsertInstitutionRequest(_message.Message):
    __slots__ = ("request_id", "institution")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    INSTITUTION_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    institution: Institution
    def __init__(self, request_id: _Optional[str] = ..., institution: _Optional[_Union[Institution, _Mapping]] = ...) -> None: ...

class UpsertStaffRequest(_message.Message):
    __slots__ = ("request_id", "staff", "id_number")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    STAFF_FIELD_NUMBER: _ClassVar[int]
    ID_NUMBER_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    staff: Staff
    id_number: str
    def __init__(self, request_id: _Optional[str] = ..., staff: _Optional[_Union[Staff, _Mapping]] = ..., id_number: _Optional[str] = ...) -> None: ...

class AddRegistrationRequest(_message.Message):
    __slots__ = ("request_id", "registration")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    REGISTRATION_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    registration: Registration
    def __init__(self, request_id: _Optional[str] = ..., registration: _Optional[_Union[Registration, _Mapping]] = ...) -> None: ...

class GetStaffRequest(_message.Message):
    __slots__ = ("code",)
    CODE_FIELD_NUMBER: _ClassVar[int]
    code: str
    def __init__(self, code: _Optional[str] = ...) -> None: ...

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
