from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Moment(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MOMENT_UNSPECIFIED: _ClassVar[Moment]
    MOMENT_PRE: _ClassVar[Moment]
    MOMENT_IN: _ClassVar[Moment]
    MOMENT_POST: _ClassVar[Moment]
MOMENT_UNSPECIFIED: Moment
MOMENT_PRE: Moment
MOMENT_IN: Moment
MOMENT_POST: Moment

class Money(_message.Message):
    __slots__ = ("amount",)
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    amount: str
    def __init__(self, amount: _Optional[str] = ...) -> None: ...

class Patient(_message.Message):
    __slots__ = ("patient_id", "name", "gender", "birth_date", "death_date", "insurance_type", "pool_area")
    PATIENT_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    GENDER_FIELD_NUMBER: _ClassVar[int]
    BIRTH_DATE_FIELD_NUMBER: _ClassVar[int]
    DEATH_DATE_FIELD_NUMBER: _ClassVar[int]
    INSURANCE_TYPE_FIELD_NUMBER: _ClassVar[int]
    POOL_AREA_FIELD_NUMBER: _ClassVar[int]
    patient_id: str
    name: str
    gender: str
    birth_date: str
    death_date: str
    insurance_type: str
    pool_area: str
    def __init__(self, patient_id: _Optional[str] = ..., name: _Optional[str] = ..., gender: _Optional[str] = ..., birth_date: _Optional[str] = ..., death_date: _Optional[str] = ..., insurance_type: _Optional[str] = ..., pool_area: _Optional[str] = ...) -> None: ...

class Diagnosis(_message.Message):
    __slots__ = ("code", "name", "main")
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    MAIN_FIELD_NUMBER: _ClassVar[int]
    code: str
    name: str
    main: bool
    def __init__(self, code: _Optional[str] = ..., name: _Optional[str] = ..., main: _Optional[bool] = ...) -> None: ...

class Procedure(_message.Message):
    __slots__ = ("code", "name", "main")
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    MAIN_FIELD_NUMBER: _ClassVar[int]
    code: str
    name: str
    main: bool
    def __init__(self, code: _Optional[str] = ..., name: _Optional[str] = ..., main: _Optional[bool] = ...) -> None: ...

class FeeLine(_message.Message):
    __slots__ = ("line_id", "item_code", "item_name", "item_type", "item_class", "quantity", "unit_price", "amount", "service_date", "dept_code", "doctor_code", "doctor_name", "original_line_id")
    LINE_ID_FIELD_NUMBER: _ClassVar[int]
    ITEM_CODE_FIELD_NUMBER: _ClassVar[int]
    ITEM_NAME_FIELD_NUMBER: _ClassVar[int]
    ITEM_TYPE_FIELD_NUMBER: _ClassVar[int]
    ITEM_CLASS_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    UNIT_PRICE_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    SERVICE_DATE_FIELD_NUMBER: _ClassVar[int]
    DEPT_CODE_FIELD_NUMBER: _ClassVar[int]
    DOCTOR_CODE_FIELD_NUMBER: _ClassVar[int]
    DOCTOR_NAME_FIELD_NUMBER: _ClassVar[int]
    ORIGINAL_LINE_ID_FIELD_NUMBER: _ClassVar[int]
    line_id: str
    item_code: str
    item_name: str
    item_type: str
    item_class: str
    quantity: str
    unit_price: Money
    amount: Money
    service_date: str
    dept_code: str
    doctor_code: str
    doctor_name: str
    original_line_id: str
    def __init__(self, line_id: _Optional[str] = ..., item_code: _Optional[str] = ..., item_name: _Optional[str] = ..., item_type: _Optional[str] = ..., item_class: _Optional[str] = ..., quantity: _Optional[str] = ..., unit_price: _Optional[_Union[Money, _Mapping]] = ..., amount: _Optional[_Union[Money, _Mapping]] = ..., service_date: _Optional[str] = ..., dept_code: _Optional[str] = ..., doctor_code: _Optional[str] = ..., doctor_name: _Optional[str] = ..., original_line_id: _Optional[str] = ...) -> None: ...

class Encounter(_message.Message):
    __slots__ = ("encounter_id", "institution_code", "institution_level", "care_setting", "med_type", "admission_date", "discharge_date", "doctor_code", "dept_code", "insurance_type", "diagnoses", "procedures", "lines", "total_amount", "fund_paid", "claim_id", "invoice_no")
    ENCOUNTER_ID_FIELD_NUMBER: _ClassVar[int]
    INSTITUTION_CODE_FIELD_NUMBER: _ClassVar[int]
    INSTITUTION_LEVEL_FIELD_NUMBER: _ClassVar[int]
    CARE_SETTING_FIELD_NUMBER: _ClassVar[int]
    MED_TYPE_FIELD_NUMBER: _ClassVar[int]
    ADMISSION_DATE_FIELD_NUMBER: _ClassVar[int]
    DISCHARGE_DATE_FIELD_NUMBER: _ClassVar[int]
    DOCTOR_CODE_FIELD_NUMBER: _ClassVar[int]
    DEPT_CODE_FIELD_NUMBER: _ClassVar[int]
    INSURANCE_TYPE_FIELD_NUMBER: _ClassVar[int]
    DIAGNOSES_FIELD_NUMBER: _ClassVar[int]
    PROCEDURES_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    TOTAL_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    FUND_PAID_FIELD_NUMBER: _ClassVar[int]
    CLAIM_ID_FIELD_NUMBER: _ClassVar[int]
    INVOICE_NO_FIELD_NUMBER: _ClassVar[int]
    encounter_id: str
    institution_code: str
    institution_level: str
    care_setting: str
    med_type: str
    admission_date: str
    discharge_date: str
    doctor_code: str
    dept_code: str
    insurance_type: str
    diagnoses: _containers.RepeatedCompositeFieldContainer[Diagnosis]
    procedures: _containers.RepeatedCompositeFieldContainer[Procedure]
    lines: _containers.RepeatedCompositeFieldContainer[FeeLine]
    total_amount: Money
    fund_paid: Money
    claim_id: str
    invoice_no: str
    def __init__(self, encounter_id: _Optional[str] = ..., institution_code: _Optional[str] = ..., institution_level: _Optional[str] = ..., care_setting: _Optional[str] = ..., med_type: _Optional[str] = ..., admission_date: _Optional[str] = ..., discharge_date: _Optional[str] = ..., doctor_code: _Optional[str] = ..., dept_code: _Optional[str] = ..., insurance_type: _Optional[str] = ..., diagnoses: _Optional[_Iterable[_Union[Diagnosis, _Mapping]]] = ..., procedures: _Optional[_Iterable[_Union[Procedure, _Mapping]]] = ..., lines: _Optional[_Iterable[_Union[FeeLine, _Mapping]]] = ..., total_amount: _Optional[_Union[Money, _Mapping]] = ..., fund_paid: _Optional[_Union[Money, _Mapping]] = ..., claim_id: _Optional[str] = ..., invoice_no: _Optional[str] = ...) -> None: ...

class PatientCase(_message.Message):
    __slots__ = ("patient", "encounters", "history")
    PATIENT_FIELD_NUMBER: _ClassVar[int]
    ENCOUNTERS_FIELD_NUMBER: _ClassVar[int]
    HISTORY_FIELD_NUMBER: _ClassVar[int]
    patient: Patient
    encounters: _containers.RepeatedCompositeFieldContainer[Encounter]
    history: _containers.RepeatedCompositeFieldContainer[Encounter]
    def __init__(self, patient: _Optional[_Union[Patient, _Mapping]] = ..., encounters: _Optional[_Iterable[_Union[Encounter, _Mapping]]] = ..., history: _Optional[_Iterable[_Union[Encounter, _Mapping]]] = ...) -> None: ...

class Finding(_message.Message):
    __slots__ = ("finding_id", "rule_id", "rule_version", "national_code", "rule_name", "tier", "result_type", "claim_id", "encounter_id", "patient_id", "institution_code", "doctor_code", "line_ids", "amount", "explanation", "basis", "evidence_json", "service_date", "state")
    FINDING_ID_FIELD_NUMBER: _ClassVar[int]
    RULE_ID_FIELD_NUMBER: _ClassVar[int]
    RULE_VERSION_FIELD_NUMBER: _ClassVar[int]
    NATIONAL_CODE_FIELD_NUMBER: _ClassVar[int]
    RULE_NAME_FIELD_NUMBER: _ClassVar[int]
    TIER_FIELD_NUMBER: _ClassVar[int]
    RESULT_TYPE_FIELD_NUMBER: _ClassVar[int]
    CLAIM_ID_FIELD_NUMBER: _ClassVar[int]
    ENCOUNTER_ID_FIELD_NUMBER: _ClassVar[int]
    PATIENT_ID_FIELD_NUMBER: _ClassVar[int]
    INSTITUTION_CODE_FIELD_NUMBER: _ClassVar[int]
    DOCTOR_CODE_FIELD_NUMBER: _ClassVar[int]
    LINE_IDS_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    EXPLANATION_FIELD_NUMBER: _ClassVar[int]
    BASIS_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_JSON_FIELD_NUMBER: _ClassVar[int]
    SERVICE_DATE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    finding_id: str
    rule_id: str
    rule_version: int
    national_code: str
    rule_name: str
    tier: str
    result_type: str
    claim_id: str
    encounter_id: str
    patient_id: str
    institution_code: str
    doctor_code: str
    line_ids: _containers.RepeatedScalarFieldContainer[str]
    amount: Money
    explanation: str
    basis: str
    evidence_json: str
    service_date: str
    state: str
    def __init__(self, finding_id: _Optional[str] = ..., rule_id: _Optional[str] = ..., rule_version: _Optional[int] = ..., national_code: _Optional[str] = ..., rule_name: _Optional[str] = ..., tier: _Optional[str] = ..., result_type: _Optional[str] = ..., claim_id: _Optional[str] = ..., encounter_id: _Optional[str] = ..., patient_id: _Optional[str] = ..., institution_code: _Optional[str] = ..., doctor_code: _Optional[str] = ..., line_ids: _Optional[_Iterable[str]] = ..., amount: _Optional[_Union[Money, _Mapping]] = ..., explanation: _Optional[str] = ..., basis: _Optional[str] = ..., evidence_json: _Optional[str] = ..., service_date: _Optional[str] = ..., state: _Optional[str] = ...) -> None: ...

class PageRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...
