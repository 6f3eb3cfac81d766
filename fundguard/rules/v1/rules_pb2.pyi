from fundguard.common.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class EvaluateRequest(_message.Message):
    __slots__ = ("cases", "moment", "rule_ids")
    CASES_FIELD_NUMBER: _ClassVar[int]
    MOMENT_FIELD_NUMBER: _ClassVar[int]
    RULE_IDS_FIELD_NUMBER: _ClassVar[int]
    cases: _containers.RepeatedCompositeFieldContainer[_common_pb2.PatientCase]
    moment: _common_pb2.Moment
    rule_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, cases: _Optional[_Iterable[_Union[_common_pb2.PatientCase, _Mapping]]] = ..., moment: _Optional[_Union[_common_pb2.Moment, str]] = ..., rule_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class EvaluateResponse(_message.Message):
    __slots__ = ("findings", "catalogue_version", "rule_pack_version")
    FINDINGS_FIELD_NUMBER: _ClassVar[int]
    CATALOGUE_VERSION_FIELD_NUMBER: _ClassVar[int]
    RULE_PACK_VERSION_FIELD_NUMBER: _ClassVar[int]
    findings: _containers.RepeatedCompositeFieldContainer[_common_pb2.Finding]
    catalogue_version: str
    rule_pack_version: str
    def __init__(self, findings: _Optional[_Iterable[_Union[_common_pb2.Finding, _Mapping]]] = ..., catalogue_version: _Optional[str] = ..., rule_pack_version: _Optional[str] = ...) -> None: ...

class Rule(_message.Message):
    __slots__ = ("rule_id", "version", "national_code", "name", "template", "tier", "result_type", "moments", "basis", "effective_from", "effective_to", "parameters_json")
    RULE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    NATIONAL_CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    TEMPLATE_FIELD_NUMBER: _ClassVar[int]
    TIER_FIELD_NUMBER: _ClassVar[int]
    RESULT_TYPE_FIELD_NUMBER: _ClassVar[int]
    MOMENTS_FIELD_NUMBER: _ClassVar[int]
    BASIS_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_FROM_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_TO_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_JSON_FIELD_NUMBER: _ClassVar[int]
    rule_id: str
    version: int
    national_code: str
    name: str
    template: str
    tier: str
    result_type: str
    moments: _containers.RepeatedScalarFieldContainer[_common_pb2.Moment]
    basis: str
    effective_from: str
    effective_to: str
    parameters_json: str
    def __init__(self, rule_id: _Optional[str] = ..., version: _Optional[int] = ..., national_code: _Optional[str] = ..., name: _Optional[str] = ..., template: _Optional[str] = ..., tier: _Optional[str] = ..., result_type: _Optional[str] = ..., moments: _Optional[_Iterable[_Union[_common_pb2.Moment, str]]] = ..., basis: _Optional[str] = ..., effective_from: _Optional[str] = ..., effective_to: _Optional[str] = ..., parameters_json: _Optional[str] = ...) -> None: ...

class ListRulesRequest(_message.Message):
    __slots__ = ("as_of", "page_size", "page_token")
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    as_of: str
    page_size: int
    page_token: str
    def __init__(self, as_of: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListRulesResponse(_message.Message):
    __slots__ = ("rules", "next_page_token")
    RULES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    rules: _containers.RepeatedCompositeFieldContainer[Rule]
    next_page_token: str
    def __init__(self, rules: _Optional[_Iterable[_Union[Rule, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class LoadCatalogueRequest(_message.Message):
    __slots__ = ("request_id", "version", "effective_from", "files")
    class FilesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_FROM_FIELD_NUMBER: _ClassVar[int]
    FILES_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    version: str
    effective_from: str
    files: _containers.ScalarMap[str, str]
    def __init__(self, request_id: _Optional[str] = ..., version: _Optional[str] = ..., effective_from: _Optional[str] = ..., files: _Optional[_Mapping[str, str]] = ...) -> None: ...

class LoadCatalogueResponse(_message.Message):
    __slots__ = ("version", "items", "already_loaded")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    ALREADY_LOADED_FIELD_NUMBER: _ClassVar[int]
    version: str
    items: int
    already_loaded: bool
    def __init__(self, version: _Optional[str] = ..., items: _Optional[int] = ..., already_loaded: _Optional[bool] = ...) -> None: ...

class WhatIfChunk(_message.Message):
    __slots__ = ("draft_pack_toml", "draft_catalogue_files", "moment", "cases")
    class DraftCatalogueFilesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    DRAFT_PACK_TOML_FIELD_NUMBER: _ClassVar[int]
    DRAFT_CATALOGUE_FILES_FIELD_NUMBER: _ClassVar[int]
    MOMENT_FIELD_NUMBER: _ClassVar[int]
    CASES_FIELD_NUMBER: _ClassVar[int]
    draft_pack_toml: str
    draft_catalogue_files: _containers.ScalarMap[str, str]
    moment: _common_pb2.Moment
    cases: _containers.RepeatedCompositeFieldContainer[_common_pb2.PatientCase]
    def __init__(self, draft_pack_toml: _Optional[str] = ..., draft_catalogue_files: _Optional[_Mapping[str, str]] = ..., moment: _Optional[_Union[_common_pb2.Moment, str]] = ..., cases: _Optional[_Iterable[_Union[_common_pb2.PatientCase, _Mapping]]] = ...) -> None: ...

class WhatIfRow(_message.Message):
    __slots__ = ("rule_id", "institution_code", "current_findings", "current_amount", "draft_findings", "draft_amount")
    RULE_ID_FIELD_NUMBER: _ClassVar[int]
    INSTITUTION_CODE_FIELD_NUMBER: _ClassVar[int]
    CURRENT_FINDINGS_FIELD_NUMBER: _ClassVar[int]
    CURRENT_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    DRAFT_FINDINGS_FIELD_NUMBER: _ClassVar[int]
    DRAFT_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    rule_id: str
    institution_code: str
    current_findings: int
    current_amount: _common_pb2.Money
    draft_findings: int
    draft_amount: _common_pb2.Money
    def __init__(self, rule_id: _Optional[str] = ..., institution_code: _Optional[str] = ..., current_findings: _Optional[int] = ..., current_amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., draft_findings: _Optional[int] = ..., draft_amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ...) -> None: ...

class WhatIfReport(_message.Message):
    __slots__ = ("rows", "cases", "lines", "current_pack_version", "draft_pack_version")
    ROWS_FIELD_NUMBER: _ClassVar[int]
    CASES_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    CURRENT_PACK_VERSION_FIELD_NUMBER: _ClassVar[int]
    DRAFT_PACK_VERSION_FIELD_NUMBER: _ClassVar[int]
    rows: _containers.RepeatedCompositeFieldContainer[WhatIfRow]
    cases: int
    lines: int
    current_pack_version: str
    draft_pack_version: str
    def __init__(self, rows: _Optional[_Iterable[_Union[WhatIfRow, _Mapping]]] = ..., cases: _Optional[int] = ..., lines: _Optional[int] = ..., current_pack_version: _Optional[str] = ..., draft_pack_version: _Optional[str] = ...) -> None: ...

class SaveRulePackRequest(_message.Message):
    __slots__ = ("request_id", "toml")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    TOML_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    toml: str
    def __init__(self, request_id: _Optional[str] = ..., toml: _Optional[str] = ...) -> None: ...

class PublishRulePackRequest(_message.Message):
    __slots__ = ("request_id", "version", "actor")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    version: str
    actor: str
    def __init__(self, request_id: _Optional[str] = ..., version: _Optional[str] = ..., actor: _Optional[str] = ...) -> None: ...

class RulePackVersion(_message.Message):
    __slots__ = ("version", "status", "rules", "already_done")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    RULES_FIELD_NUMBER: _ClassVar[int]
    ALREADY_DONE_FIELD_NUMBER: _ClassVar[int]
    version: str
    status: str
    rules: int
    already_done: bool
    def __init__(self, version: _Optional[str] = ..., status: _Optional[str] = ..., rules: _Optional[int] = ..., already_done: _Optional[bool] = ...) -> None: ...
