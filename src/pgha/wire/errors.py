"""The root of every error that can reach a PostgreSQL client, and one class per SQLSTATE.

Every error pgha reports to a client is a ``PgError`` carrying a SQLSTATE (see
https://www.postgresql.org/docs/15/errcodes-appendix.html) and the fields of an ErrorResponse
(https://www.postgresql.org/docs/15/protocol-error-fields.html). As in psycopg's
``psycopg.errors``, each error SQLSTATE has a class (``UniqueViolation`` for 23505), a subclass
of the class of its SQLSTATE class (``IntegrityConstraintViolation`` for 23000); raise and catch
by class, never by message text. ``pgha.wire.sqlstate`` holds the codes as named constants.

Invariants:

- ``PgError(code, message, ...)`` builds an instance of the class registered for ``code`` (or,
  for an unregistered code of a known class such as ``23999``, of that class's class, keeping the
  given code), so ``except UniqueViolation`` catches an error however it was raised.
- A generated class takes ``(message, **fields)``; its SQLSTATE comes from the class.
- ``lookup(code)`` is the class registered for exactly ``code`` (KeyError otherwise);
  ``PgError.for_sqlstate(code)`` falls back to the SQLSTATE class's class, then PgError.
- The classes between the ``generated`` markers are written by ``tools/gen_sqlstate.py --write``
  from PostgreSQL's errcodes.txt; do not edit them by hand. Two condition names that are Python
  builtins get an ``Sql`` prefix (``SqlSyntaxError`` for 42601, ``SqlSystemError`` for 58000;
  psycopg keeps ``SyntaxError``), and a condition name listed under two codes names the second
  one with an ``Ext`` suffix, as psycopg does (``NullValueNotAllowedExt`` for 39004).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, ClassVar

#: SQLSTATE -> its class; filled by ``PgError.__init_subclass__``.
_BY_SQLSTATE: dict[str, type[PgError]] = {}


class _DispatchBySqlstate(type):
    """Makes ``PgError(code, message, ...)`` build the class registered for ``code``."""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        if cls is not PgError or not args or not isinstance(args[0], str):
            return super().__call__(*args, **kwargs)
        code, *rest = args
        target = PgError.for_sqlstate(code)
        if target is PgError:
            return super().__call__(*args, **kwargs)
        # PgError's own default severity, whatever the class's (ProtocolViolation is FATAL).
        kwargs.setdefault("severity", "ERROR")
        error = target(*rest, **kwargs)
        error.sqlstate = code  # differs from the class's code only for an unregistered code
        return error


class PgError(Exception, metaclass=_DispatchBySqlstate):
    """An error with PostgreSQL's structure: severity, SQLSTATE, message and optional fields."""

    #: The SQLSTATE of a generated class; None on PgError itself.
    code: ClassVar[str | None] = None
    #: The severity an error of this class has unless the raiser says otherwise.
    default_severity: ClassVar[str] = "ERROR"
    #: CONTEXT (the 'W' field): where it happened, e.g. ``COPY t, line 2``; set by whoever
    #: knows, after the error was made.
    where: str | None = None

    def __init_subclass__(cls, code: str | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if code is not None:
            cls.code = code
            _BY_SQLSTATE.setdefault(code, cls)

    @staticmethod
    def for_sqlstate(code: str) -> type[PgError]:
        """The class for a SQLSTATE: its own, else its class's (``23999`` -> 23000's), else
        PgError."""
        found = _BY_SQLSTATE.get(code) or _BY_SQLSTATE.get(code[:2] + "000")
        return found if found is not None else PgError

    def __init__(
        self,
        sqlstate: str,
        message: str,
        *,
        severity: str | None = None,
        detail: str | None = None,
        hint: str | None = None,
        position: int | None = None,
        schema: str | None = None,
        table: str | None = None,
        column: str | None = None,
        datatype: str | None = None,
        constraint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate
        self.message = message
        self.severity = self.default_severity if severity is None else severity
        self.detail = detail
        self.hint = hint
        self.position = position
        self.schema = schema
        self.table = table
        self.column = column
        self.datatype = datatype
        self.constraint = constraint

    def fields(self) -> dict[str, str]:
        """ErrorResponse fields keyed by their one-letter protocol codes."""
        out = {"S": self.severity, "V": self.severity, "C": self.sqlstate, "M": self.message}
        optional = {
            "D": self.detail,
            "H": self.hint,
            "P": None if self.position is None else str(self.position),
            "s": self.schema,
            "t": self.table,
            "c": self.column,
            "d": self.datatype,
            "n": self.constraint,
            "W": self.where,
        }
        out.update({k: v for k, v in optional.items() if v is not None})
        return out

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuild from the attributes: the constructors' signatures differ between PgError and
        # the generated classes, and ``args`` holds only the message.
        return (_rebuild, (type(self), dict(self.__dict__)))

    def __repr__(self) -> str:
        if self.code is not None and self.sqlstate == self.code:
            return f"{type(self).__name__}({self.message!r})"  # UniqueViolation('...')
        return f"{type(self).__name__}({self.sqlstate!r}, {self.message!r})"


def lookup(code: str) -> type[PgError]:
    """The class registered for exactly ``code``, as psycopg's ``errors.lookup``; KeyError if
    there is none (use ``PgError.for_sqlstate`` for the nearest class)."""
    return _BY_SQLSTATE[code]


def registered() -> dict[str, type[PgError]]:
    """A copy of the registry: SQLSTATE -> its class."""
    return dict(_BY_SQLSTATE)


def _rebuild(cls: type[PgError], state: dict[str, Any]) -> PgError:
    error = Exception.__new__(cls)
    Exception.__init__(error, state.get("message", ""))
    error.__dict__.update(state)
    return error


class CodedError(PgError):
    """A PgError whose SQLSTATE is fixed by its class: the base of the generated classes."""

    def __init__(
        self,
        message: str,
        *,
        severity: str | None = None,
        detail: str | None = None,
        hint: str | None = None,
        position: int | None = None,
        schema: str | None = None,
        table: str | None = None,
        column: str | None = None,
        datatype: str | None = None,
        constraint: str | None = None,
    ) -> None:
        assert self.code is not None, f"{type(self).__name__} has no SQLSTATE"
        super().__init__(
            self.code, message, severity=severity, detail=detail, hint=hint, position=position,
            schema=schema, table=table, column=column, datatype=datatype, constraint=constraint,
        )


# generated: start (tools/gen_sqlstate.py --write)


# Class 03 - SQL Statement Not Yet Complete


class SqlStatementNotYetComplete(CodedError, code="03000"):
    """03000 sql_statement_not_yet_complete."""


# Class 08 - Connection Exception


class ConnectionException(CodedError, code="08000"):
    """08000 connection_exception."""


class ConnectionDoesNotExist(ConnectionException, code="08003"):
    """08003 connection_does_not_exist."""


class ConnectionFailure(ConnectionException, code="08006"):
    """08006 connection_failure."""


class SqlclientUnableToEstablishSqlconnection(ConnectionException, code="08001"):
    """08001 sqlclient_unable_to_establish_sqlconnection."""


class SqlserverRejectedEstablishmentOfSqlconnection(ConnectionException, code="08004"):
    """08004 sqlserver_rejected_establishment_of_sqlconnection."""


class TransactionResolutionUnknown(ConnectionException, code="08007"):
    """08007 transaction_resolution_unknown."""


# Class 09 - Triggered Action Exception


class TriggeredActionException(CodedError, code="09000"):
    """09000 triggered_action_exception."""


# Class 0A - Feature Not Supported


class FeatureNotSupported(CodedError, code="0A000"):
    """0A000 feature_not_supported."""


# Class 0B - Invalid Transaction Initiation


class InvalidTransactionInitiation(CodedError, code="0B000"):
    """0B000 invalid_transaction_initiation."""


# Class 0F - Locator Exception


class LocatorException(CodedError, code="0F000"):
    """0F000 locator_exception."""


class InvalidLocatorSpecification(LocatorException, code="0F001"):
    """0F001 invalid_locator_specification."""


# Class 0L - Invalid Grantor


class InvalidGrantor(CodedError, code="0L000"):
    """0L000 invalid_grantor."""


class InvalidGrantOperation(InvalidGrantor, code="0LP01"):
    """0LP01 invalid_grant_operation."""


# Class 0P - Invalid Role Specification


class InvalidRoleSpecification(CodedError, code="0P000"):
    """0P000 invalid_role_specification."""


# Class 0Z - Diagnostics Exception


class DiagnosticsException(CodedError, code="0Z000"):
    """0Z000 diagnostics_exception."""


class StackedDiagnosticsAccessedWithoutActiveHandler(DiagnosticsException, code="0Z002"):
    """0Z002 stacked_diagnostics_accessed_without_active_handler."""


# Class 20 - Case Not Found


class CaseNotFound(CodedError, code="20000"):
    """20000 case_not_found."""


# Class 21 - Cardinality Violation


class CardinalityViolation(CodedError, code="21000"):
    """21000 cardinality_violation."""


# Class 22 - Data Exception


class DataException(CodedError, code="22000"):
    """22000 data_exception."""


class ArrayElementError(DataException, code="2202E"):
    """2202E ERRCODE_ARRAY_ELEMENT_ERROR."""


class CharacterNotInRepertoire(DataException, code="22021"):
    """22021 character_not_in_repertoire."""


class DatetimeFieldOverflow(DataException, code="22008"):
    """22008 datetime_field_overflow."""


class DivisionByZero(DataException, code="22012"):
    """22012 division_by_zero."""


class ErrorInAssignment(DataException, code="22005"):
    """22005 error_in_assignment."""


class EscapeCharacterConflict(DataException, code="2200B"):
    """2200B escape_character_conflict."""


class IndicatorOverflow(DataException, code="22022"):
    """22022 indicator_overflow."""


class IntervalFieldOverflow(DataException, code="22015"):
    """22015 interval_field_overflow."""


class InvalidArgumentForLogarithm(DataException, code="2201E"):
    """2201E invalid_argument_for_logarithm."""


class InvalidArgumentForNtileFunction(DataException, code="22014"):
    """22014 invalid_argument_for_ntile_function."""


class InvalidArgumentForNthValueFunction(DataException, code="22016"):
    """22016 invalid_argument_for_nth_value_function."""


class InvalidArgumentForPowerFunction(DataException, code="2201F"):
    """2201F invalid_argument_for_power_function."""


class InvalidArgumentForWidthBucketFunction(DataException, code="2201G"):
    """2201G invalid_argument_for_width_bucket_function."""


class InvalidCharacterValueForCast(DataException, code="22018"):
    """22018 invalid_character_value_for_cast."""


class InvalidDatetimeFormat(DataException, code="22007"):
    """22007 invalid_datetime_format."""


class InvalidEscapeCharacter(DataException, code="22019"):
    """22019 invalid_escape_character."""


class InvalidEscapeOctet(DataException, code="2200D"):
    """2200D invalid_escape_octet."""


class InvalidEscapeSequence(DataException, code="22025"):
    """22025 invalid_escape_sequence."""


class NonstandardUseOfEscapeCharacter(DataException, code="22P06"):
    """22P06 nonstandard_use_of_escape_character."""


class InvalidIndicatorParameterValue(DataException, code="22010"):
    """22010 invalid_indicator_parameter_value."""


class InvalidParameterValue(DataException, code="22023"):
    """22023 invalid_parameter_value."""


class InvalidPrecedingOrFollowingSize(DataException, code="22013"):
    """22013 invalid_preceding_or_following_size."""


class InvalidRegularExpression(DataException, code="2201B"):
    """2201B invalid_regular_expression."""


class InvalidRowCountInLimitClause(DataException, code="2201W"):
    """2201W invalid_row_count_in_limit_clause."""


class InvalidRowCountInResultOffsetClause(DataException, code="2201X"):
    """2201X invalid_row_count_in_result_offset_clause."""


class InvalidTablesampleArgument(DataException, code="2202H"):
    """2202H invalid_tablesample_argument."""


class InvalidTablesampleRepeat(DataException, code="2202G"):
    """2202G invalid_tablesample_repeat."""


class InvalidTimeZoneDisplacementValue(DataException, code="22009"):
    """22009 invalid_time_zone_displacement_value."""


class InvalidUseOfEscapeCharacter(DataException, code="2200C"):
    """2200C invalid_use_of_escape_character."""


class MostSpecificTypeMismatch(DataException, code="2200G"):
    """2200G most_specific_type_mismatch."""


class NullValueNotAllowed(DataException, code="22004"):
    """22004 null_value_not_allowed."""


class NullValueNoIndicatorParameter(DataException, code="22002"):
    """22002 null_value_no_indicator_parameter."""


class NumericValueOutOfRange(DataException, code="22003"):
    """22003 numeric_value_out_of_range."""


class SequenceGeneratorLimitExceeded(DataException, code="2200H"):
    """2200H sequence_generator_limit_exceeded."""


class StringDataLengthMismatch(DataException, code="22026"):
    """22026 string_data_length_mismatch."""


class StringDataRightTruncation(DataException, code="22001"):
    """22001 string_data_right_truncation."""


class SubstringError(DataException, code="22011"):
    """22011 substring_error."""


class TrimError(DataException, code="22027"):
    """22027 trim_error."""


class UnterminatedCString(DataException, code="22024"):
    """22024 unterminated_c_string."""


class ZeroLengthCharacterString(DataException, code="2200F"):
    """2200F zero_length_character_string."""


class FloatingPointException(DataException, code="22P01"):
    """22P01 floating_point_exception."""


class InvalidTextRepresentation(DataException, code="22P02"):
    """22P02 invalid_text_representation."""


class InvalidBinaryRepresentation(DataException, code="22P03"):
    """22P03 invalid_binary_representation."""


class BadCopyFileFormat(DataException, code="22P04"):
    """22P04 bad_copy_file_format."""


class UntranslatableCharacter(DataException, code="22P05"):
    """22P05 untranslatable_character."""


class DatumVersionMismatch(DataException, code="22P07"):
    """22P07 datum_version_mismatch."""


class NotAnXmlDocument(DataException, code="2200L"):
    """2200L not_an_xml_document."""


class InvalidXmlDocument(DataException, code="2200M"):
    """2200M invalid_xml_document."""


class InvalidXmlContent(DataException, code="2200N"):
    """2200N invalid_xml_content."""


class InvalidXmlComment(DataException, code="2200S"):
    """2200S invalid_xml_comment."""


class InvalidXmlProcessingInstruction(DataException, code="2200T"):
    """2200T invalid_xml_processing_instruction."""


class DuplicateJsonObjectKeyValue(DataException, code="22030"):
    """22030 duplicate_json_object_key_value."""


class InvalidArgumentForSqlJsonDatetimeFunction(DataException, code="22031"):
    """22031 invalid_argument_for_sql_json_datetime_function."""


class InvalidJsonText(DataException, code="22032"):
    """22032 invalid_json_text."""


class InvalidSqlJsonSubscript(DataException, code="22033"):
    """22033 invalid_sql_json_subscript."""


class MoreThanOneSqlJsonItem(DataException, code="22034"):
    """22034 more_than_one_sql_json_item."""


class NoSqlJsonItem(DataException, code="22035"):
    """22035 no_sql_json_item."""


class NonNumericSqlJsonItem(DataException, code="22036"):
    """22036 non_numeric_sql_json_item."""


class NonUniqueKeysInAJsonObject(DataException, code="22037"):
    """22037 non_unique_keys_in_a_json_object."""


class SingletonSqlJsonItemRequired(DataException, code="22038"):
    """22038 singleton_sql_json_item_required."""


class SqlJsonArrayNotFound(DataException, code="22039"):
    """22039 sql_json_array_not_found."""


class SqlJsonMemberNotFound(DataException, code="2203A"):
    """2203A sql_json_member_not_found."""


class SqlJsonNumberNotFound(DataException, code="2203B"):
    """2203B sql_json_number_not_found."""


class SqlJsonObjectNotFound(DataException, code="2203C"):
    """2203C sql_json_object_not_found."""


class TooManyJsonArrayElements(DataException, code="2203D"):
    """2203D too_many_json_array_elements."""


class TooManyJsonObjectMembers(DataException, code="2203E"):
    """2203E too_many_json_object_members."""


class SqlJsonScalarRequired(DataException, code="2203F"):
    """2203F sql_json_scalar_required."""


class SqlJsonItemCannotBeCastToTargetType(DataException, code="2203G"):
    """2203G sql_json_item_cannot_be_cast_to_target_type."""


# Class 23 - Integrity Constraint Violation


class IntegrityConstraintViolation(CodedError, code="23000"):
    """23000 integrity_constraint_violation."""


class RestrictViolation(IntegrityConstraintViolation, code="23001"):
    """23001 restrict_violation."""


class NotNullViolation(IntegrityConstraintViolation, code="23502"):
    """23502 not_null_violation."""


class ForeignKeyViolation(IntegrityConstraintViolation, code="23503"):
    """23503 foreign_key_violation."""


class UniqueViolation(IntegrityConstraintViolation, code="23505"):
    """23505 unique_violation."""


class CheckViolation(IntegrityConstraintViolation, code="23514"):
    """23514 check_violation."""


class ExclusionViolation(IntegrityConstraintViolation, code="23P01"):
    """23P01 exclusion_violation."""


# Class 24 - Invalid Cursor State


class InvalidCursorState(CodedError, code="24000"):
    """24000 invalid_cursor_state."""


# Class 25 - Invalid Transaction State


class InvalidTransactionState(CodedError, code="25000"):
    """25000 invalid_transaction_state."""


class ActiveSqlTransaction(InvalidTransactionState, code="25001"):
    """25001 active_sql_transaction."""


class BranchTransactionAlreadyActive(InvalidTransactionState, code="25002"):
    """25002 branch_transaction_already_active."""


class HeldCursorRequiresSameIsolationLevel(InvalidTransactionState, code="25008"):
    """25008 held_cursor_requires_same_isolation_level."""


class InappropriateAccessModeForBranchTransaction(InvalidTransactionState, code="25003"):
    """25003 inappropriate_access_mode_for_branch_transaction."""


class InappropriateIsolationLevelForBranchTransaction(InvalidTransactionState, code="25004"):
    """25004 inappropriate_isolation_level_for_branch_transaction."""


class NoActiveSqlTransactionForBranchTransaction(InvalidTransactionState, code="25005"):
    """25005 no_active_sql_transaction_for_branch_transaction."""


class ReadOnlySqlTransaction(InvalidTransactionState, code="25006"):
    """25006 read_only_sql_transaction."""


class SchemaAndDataStatementMixingNotSupported(InvalidTransactionState, code="25007"):
    """25007 schema_and_data_statement_mixing_not_supported."""


class NoActiveSqlTransaction(InvalidTransactionState, code="25P01"):
    """25P01 no_active_sql_transaction."""


class InFailedSqlTransaction(InvalidTransactionState, code="25P02"):
    """25P02 in_failed_sql_transaction."""


class IdleInTransactionSessionTimeout(InvalidTransactionState, code="25P03"):
    """25P03 idle_in_transaction_session_timeout."""


# Class 26 - Invalid SQL Statement Name


class InvalidSqlStatementName(CodedError, code="26000"):
    """26000 invalid_sql_statement_name."""


# Class 27 - Triggered Data Change Violation


class TriggeredDataChangeViolation(CodedError, code="27000"):
    """27000 triggered_data_change_violation."""


# Class 28 - Invalid Authorization Specification


class InvalidAuthorizationSpecification(CodedError, code="28000"):
    """28000 invalid_authorization_specification."""


class InvalidPassword(InvalidAuthorizationSpecification, code="28P01"):
    """28P01 invalid_password."""


# Class 2B - Dependent Privilege Descriptors Still Exist


class DependentPrivilegeDescriptorsStillExist(CodedError, code="2B000"):
    """2B000 dependent_privilege_descriptors_still_exist."""


class DependentObjectsStillExist(DependentPrivilegeDescriptorsStillExist, code="2BP01"):
    """2BP01 dependent_objects_still_exist."""


# Class 2D - Invalid Transaction Termination


class InvalidTransactionTermination(CodedError, code="2D000"):
    """2D000 invalid_transaction_termination."""


# Class 2F - SQL Routine Exception


class SqlRoutineException(CodedError, code="2F000"):
    """2F000 sql_routine_exception."""


class FunctionExecutedNoReturnStatement(SqlRoutineException, code="2F005"):
    """2F005 function_executed_no_return_statement."""


class ModifyingSqlDataNotPermitted(SqlRoutineException, code="2F002"):
    """2F002 modifying_sql_data_not_permitted."""


class ProhibitedSqlStatementAttempted(SqlRoutineException, code="2F003"):
    """2F003 prohibited_sql_statement_attempted."""


class ReadingSqlDataNotPermitted(SqlRoutineException, code="2F004"):
    """2F004 reading_sql_data_not_permitted."""


# Class 34 - Invalid Cursor Name


class InvalidCursorName(CodedError, code="34000"):
    """34000 invalid_cursor_name."""


# Class 38 - External Routine Exception


class ExternalRoutineException(CodedError, code="38000"):
    """38000 external_routine_exception."""


class ContainingSqlNotPermitted(ExternalRoutineException, code="38001"):
    """38001 containing_sql_not_permitted."""


class ModifyingSqlDataNotPermittedExt(ExternalRoutineException, code="38002"):
    """38002 modifying_sql_data_not_permitted."""


class ProhibitedSqlStatementAttemptedExt(ExternalRoutineException, code="38003"):
    """38003 prohibited_sql_statement_attempted."""


class ReadingSqlDataNotPermittedExt(ExternalRoutineException, code="38004"):
    """38004 reading_sql_data_not_permitted."""


# Class 39 - External Routine Invocation Exception


class ExternalRoutineInvocationException(CodedError, code="39000"):
    """39000 external_routine_invocation_exception."""


class InvalidSqlstateReturned(ExternalRoutineInvocationException, code="39001"):
    """39001 invalid_sqlstate_returned."""


class NullValueNotAllowedExt(ExternalRoutineInvocationException, code="39004"):
    """39004 null_value_not_allowed."""


class TriggerProtocolViolated(ExternalRoutineInvocationException, code="39P01"):
    """39P01 trigger_protocol_violated."""


class SrfProtocolViolated(ExternalRoutineInvocationException, code="39P02"):
    """39P02 srf_protocol_violated."""


class EventTriggerProtocolViolated(ExternalRoutineInvocationException, code="39P03"):
    """39P03 event_trigger_protocol_violated."""


# Class 3B - Savepoint Exception


class SavepointException(CodedError, code="3B000"):
    """3B000 savepoint_exception."""


class InvalidSavepointSpecification(SavepointException, code="3B001"):
    """3B001 invalid_savepoint_specification."""


# Class 3D - Invalid Catalog Name


class InvalidCatalogName(CodedError, code="3D000"):
    """3D000 invalid_catalog_name."""


# Class 3F - Invalid Schema Name


class InvalidSchemaName(CodedError, code="3F000"):
    """3F000 invalid_schema_name."""


# Class 40 - Transaction Rollback


class TransactionRollback(CodedError, code="40000"):
    """40000 transaction_rollback."""


class TransactionIntegrityConstraintViolation(TransactionRollback, code="40002"):
    """40002 transaction_integrity_constraint_violation."""


class SerializationFailure(TransactionRollback, code="40001"):
    """40001 serialization_failure."""


class StatementCompletionUnknown(TransactionRollback, code="40003"):
    """40003 statement_completion_unknown."""


class DeadlockDetected(TransactionRollback, code="40P01"):
    """40P01 deadlock_detected."""


# Class 42 - Syntax Error or Access Rule Violation


class SyntaxErrorOrAccessRuleViolation(CodedError, code="42000"):
    """42000 syntax_error_or_access_rule_violation."""


class SqlSyntaxError(SyntaxErrorOrAccessRuleViolation, code="42601"):
    """42601 syntax_error."""


class InsufficientPrivilege(SyntaxErrorOrAccessRuleViolation, code="42501"):
    """42501 insufficient_privilege."""


class CannotCoerce(SyntaxErrorOrAccessRuleViolation, code="42846"):
    """42846 cannot_coerce."""


class GroupingError(SyntaxErrorOrAccessRuleViolation, code="42803"):
    """42803 grouping_error."""


class WindowingError(SyntaxErrorOrAccessRuleViolation, code="42P20"):
    """42P20 windowing_error."""


class InvalidRecursion(SyntaxErrorOrAccessRuleViolation, code="42P19"):
    """42P19 invalid_recursion."""


class InvalidForeignKey(SyntaxErrorOrAccessRuleViolation, code="42830"):
    """42830 invalid_foreign_key."""


class InvalidName(SyntaxErrorOrAccessRuleViolation, code="42602"):
    """42602 invalid_name."""


class NameTooLong(SyntaxErrorOrAccessRuleViolation, code="42622"):
    """42622 name_too_long."""


class ReservedName(SyntaxErrorOrAccessRuleViolation, code="42939"):
    """42939 reserved_name."""


class DatatypeMismatch(SyntaxErrorOrAccessRuleViolation, code="42804"):
    """42804 datatype_mismatch."""


class IndeterminateDatatype(SyntaxErrorOrAccessRuleViolation, code="42P18"):
    """42P18 indeterminate_datatype."""


class CollationMismatch(SyntaxErrorOrAccessRuleViolation, code="42P21"):
    """42P21 collation_mismatch."""


class IndeterminateCollation(SyntaxErrorOrAccessRuleViolation, code="42P22"):
    """42P22 indeterminate_collation."""


class WrongObjectType(SyntaxErrorOrAccessRuleViolation, code="42809"):
    """42809 wrong_object_type."""


class GeneratedAlways(SyntaxErrorOrAccessRuleViolation, code="428C9"):
    """428C9 generated_always."""


class UndefinedColumn(SyntaxErrorOrAccessRuleViolation, code="42703"):
    """42703 undefined_column."""


class UndefinedFunction(SyntaxErrorOrAccessRuleViolation, code="42883"):
    """42883 undefined_function."""


class UndefinedTable(SyntaxErrorOrAccessRuleViolation, code="42P01"):
    """42P01 undefined_table."""


class UndefinedParameter(SyntaxErrorOrAccessRuleViolation, code="42P02"):
    """42P02 undefined_parameter."""


class UndefinedObject(SyntaxErrorOrAccessRuleViolation, code="42704"):
    """42704 undefined_object."""


class DuplicateColumn(SyntaxErrorOrAccessRuleViolation, code="42701"):
    """42701 duplicate_column."""


class DuplicateCursor(SyntaxErrorOrAccessRuleViolation, code="42P03"):
    """42P03 duplicate_cursor."""


class DuplicateDatabase(SyntaxErrorOrAccessRuleViolation, code="42P04"):
    """42P04 duplicate_database."""


class DuplicateFunction(SyntaxErrorOrAccessRuleViolation, code="42723"):
    """42723 duplicate_function."""


class DuplicatePreparedStatement(SyntaxErrorOrAccessRuleViolation, code="42P05"):
    """42P05 duplicate_prepared_statement."""


class DuplicateSchema(SyntaxErrorOrAccessRuleViolation, code="42P06"):
    """42P06 duplicate_schema."""


class DuplicateTable(SyntaxErrorOrAccessRuleViolation, code="42P07"):
    """42P07 duplicate_table."""


class DuplicateAlias(SyntaxErrorOrAccessRuleViolation, code="42712"):
    """42712 duplicate_alias."""


class DuplicateObject(SyntaxErrorOrAccessRuleViolation, code="42710"):
    """42710 duplicate_object."""


class AmbiguousColumn(SyntaxErrorOrAccessRuleViolation, code="42702"):
    """42702 ambiguous_column."""


class AmbiguousFunction(SyntaxErrorOrAccessRuleViolation, code="42725"):
    """42725 ambiguous_function."""


class AmbiguousParameter(SyntaxErrorOrAccessRuleViolation, code="42P08"):
    """42P08 ambiguous_parameter."""


class AmbiguousAlias(SyntaxErrorOrAccessRuleViolation, code="42P09"):
    """42P09 ambiguous_alias."""


class InvalidColumnReference(SyntaxErrorOrAccessRuleViolation, code="42P10"):
    """42P10 invalid_column_reference."""


class InvalidColumnDefinition(SyntaxErrorOrAccessRuleViolation, code="42611"):
    """42611 invalid_column_definition."""


class InvalidCursorDefinition(SyntaxErrorOrAccessRuleViolation, code="42P11"):
    """42P11 invalid_cursor_definition."""


class InvalidDatabaseDefinition(SyntaxErrorOrAccessRuleViolation, code="42P12"):
    """42P12 invalid_database_definition."""


class InvalidFunctionDefinition(SyntaxErrorOrAccessRuleViolation, code="42P13"):
    """42P13 invalid_function_definition."""


class InvalidPreparedStatementDefinition(SyntaxErrorOrAccessRuleViolation, code="42P14"):
    """42P14 invalid_prepared_statement_definition."""


class InvalidSchemaDefinition(SyntaxErrorOrAccessRuleViolation, code="42P15"):
    """42P15 invalid_schema_definition."""


class InvalidTableDefinition(SyntaxErrorOrAccessRuleViolation, code="42P16"):
    """42P16 invalid_table_definition."""


class InvalidObjectDefinition(SyntaxErrorOrAccessRuleViolation, code="42P17"):
    """42P17 invalid_object_definition."""


# Class 44 - WITH CHECK OPTION Violation


class WithCheckOptionViolation(CodedError, code="44000"):
    """44000 with_check_option_violation."""


# Class 53 - Insufficient Resources


class InsufficientResources(CodedError, code="53000"):
    """53000 insufficient_resources."""


class DiskFull(InsufficientResources, code="53100"):
    """53100 disk_full."""


class OutOfMemory(InsufficientResources, code="53200"):
    """53200 out_of_memory."""


class TooManyConnections(InsufficientResources, code="53300"):
    """53300 too_many_connections."""


class ConfigurationLimitExceeded(InsufficientResources, code="53400"):
    """53400 configuration_limit_exceeded."""


# Class 54 - Program Limit Exceeded


class ProgramLimitExceeded(CodedError, code="54000"):
    """54000 program_limit_exceeded."""


class StatementTooComplex(ProgramLimitExceeded, code="54001"):
    """54001 statement_too_complex."""


class TooManyColumns(ProgramLimitExceeded, code="54011"):
    """54011 too_many_columns."""


class TooManyArguments(ProgramLimitExceeded, code="54023"):
    """54023 too_many_arguments."""


# Class 55 - Object Not In Prerequisite State


class ObjectNotInPrerequisiteState(CodedError, code="55000"):
    """55000 object_not_in_prerequisite_state."""


class ObjectInUse(ObjectNotInPrerequisiteState, code="55006"):
    """55006 object_in_use."""


class CantChangeRuntimeParam(ObjectNotInPrerequisiteState, code="55P02"):
    """55P02 cant_change_runtime_param."""


class LockNotAvailable(ObjectNotInPrerequisiteState, code="55P03"):
    """55P03 lock_not_available."""


class UnsafeNewEnumValueUsage(ObjectNotInPrerequisiteState, code="55P04"):
    """55P04 unsafe_new_enum_value_usage."""


# Class 57 - Operator Intervention


class OperatorIntervention(CodedError, code="57000"):
    """57000 operator_intervention."""


class QueryCanceled(OperatorIntervention, code="57014"):
    """57014 query_canceled."""


class AdminShutdown(OperatorIntervention, code="57P01"):
    """57P01 admin_shutdown."""


class CrashShutdown(OperatorIntervention, code="57P02"):
    """57P02 crash_shutdown."""


class CannotConnectNow(OperatorIntervention, code="57P03"):
    """57P03 cannot_connect_now."""


class DatabaseDropped(OperatorIntervention, code="57P04"):
    """57P04 database_dropped."""


class IdleSessionTimeout(OperatorIntervention, code="57P05"):
    """57P05 idle_session_timeout."""


# Class 58 - System Error (errors external to PostgreSQL itself)


class SqlSystemError(CodedError, code="58000"):
    """58000 system_error."""


class IoError(SqlSystemError, code="58030"):
    """58030 io_error."""


class UndefinedFile(SqlSystemError, code="58P01"):
    """58P01 undefined_file."""


class DuplicateFile(SqlSystemError, code="58P02"):
    """58P02 duplicate_file."""


# Class 72 - Snapshot Failure


class SnapshotTooOld(CodedError, code="72000"):
    """72000 snapshot_too_old."""


# Class F0 - Configuration File Error


class ConfigFileError(CodedError, code="F0000"):
    """F0000 config_file_error."""


class LockFileExists(ConfigFileError, code="F0001"):
    """F0001 lock_file_exists."""


# Class HV - Foreign Data Wrapper Error (SQL/MED)


class FdwError(CodedError, code="HV000"):
    """HV000 fdw_error."""


class FdwColumnNameNotFound(FdwError, code="HV005"):
    """HV005 fdw_column_name_not_found."""


class FdwDynamicParameterValueNeeded(FdwError, code="HV002"):
    """HV002 fdw_dynamic_parameter_value_needed."""


class FdwFunctionSequenceError(FdwError, code="HV010"):
    """HV010 fdw_function_sequence_error."""


class FdwInconsistentDescriptorInformation(FdwError, code="HV021"):
    """HV021 fdw_inconsistent_descriptor_information."""


class FdwInvalidAttributeValue(FdwError, code="HV024"):
    """HV024 fdw_invalid_attribute_value."""


class FdwInvalidColumnName(FdwError, code="HV007"):
    """HV007 fdw_invalid_column_name."""


class FdwInvalidColumnNumber(FdwError, code="HV008"):
    """HV008 fdw_invalid_column_number."""


class FdwInvalidDataType(FdwError, code="HV004"):
    """HV004 fdw_invalid_data_type."""


class FdwInvalidDataTypeDescriptors(FdwError, code="HV006"):
    """HV006 fdw_invalid_data_type_descriptors."""


class FdwInvalidDescriptorFieldIdentifier(FdwError, code="HV091"):
    """HV091 fdw_invalid_descriptor_field_identifier."""


class FdwInvalidHandle(FdwError, code="HV00B"):
    """HV00B fdw_invalid_handle."""


class FdwInvalidOptionIndex(FdwError, code="HV00C"):
    """HV00C fdw_invalid_option_index."""


class FdwInvalidOptionName(FdwError, code="HV00D"):
    """HV00D fdw_invalid_option_name."""


class FdwInvalidStringLengthOrBufferLength(FdwError, code="HV090"):
    """HV090 fdw_invalid_string_length_or_buffer_length."""


class FdwInvalidStringFormat(FdwError, code="HV00A"):
    """HV00A fdw_invalid_string_format."""


class FdwInvalidUseOfNullPointer(FdwError, code="HV009"):
    """HV009 fdw_invalid_use_of_null_pointer."""


class FdwTooManyHandles(FdwError, code="HV014"):
    """HV014 fdw_too_many_handles."""


class FdwOutOfMemory(FdwError, code="HV001"):
    """HV001 fdw_out_of_memory."""


class FdwNoSchemas(FdwError, code="HV00P"):
    """HV00P fdw_no_schemas."""


class FdwOptionNameNotFound(FdwError, code="HV00J"):
    """HV00J fdw_option_name_not_found."""


class FdwReplyHandle(FdwError, code="HV00K"):
    """HV00K fdw_reply_handle."""


class FdwSchemaNotFound(FdwError, code="HV00Q"):
    """HV00Q fdw_schema_not_found."""


class FdwTableNotFound(FdwError, code="HV00R"):
    """HV00R fdw_table_not_found."""


class FdwUnableToCreateExecution(FdwError, code="HV00L"):
    """HV00L fdw_unable_to_create_execution."""


class FdwUnableToCreateReply(FdwError, code="HV00M"):
    """HV00M fdw_unable_to_create_reply."""


class FdwUnableToEstablishConnection(FdwError, code="HV00N"):
    """HV00N fdw_unable_to_establish_connection."""


# Class P0 - PL/pgSQL Error


class PlpgsqlError(CodedError, code="P0000"):
    """P0000 plpgsql_error."""


class RaiseException(PlpgsqlError, code="P0001"):
    """P0001 raise_exception."""


class NoDataFound(PlpgsqlError, code="P0002"):
    """P0002 no_data_found."""


class TooManyRows(PlpgsqlError, code="P0003"):
    """P0003 too_many_rows."""


class AssertFailure(PlpgsqlError, code="P0004"):
    """P0004 assert_failure."""


# Class XX - Internal Error


class InternalError(CodedError, code="XX000"):
    """XX000 internal_error."""


class DataCorrupted(InternalError, code="XX001"):
    """XX001 data_corrupted."""


class IndexCorrupted(InternalError, code="XX002"):
    """XX002 index_corrupted."""


# generated: end


class ProtocolViolation(ConnectionException, code="08P01"):
    """The peer broke the wire protocol (08P01); the connection cannot continue, so FATAL unless
    the raiser says otherwise (``PgError("08P01", ...)`` keeps ERROR)."""

    default_severity = "FATAL"


def invalid_utf8(exc: UnicodeEncodeError) -> PgError:
    """22021 for text that held bytes that are not UTF-8 (decoded with surrogateescape, so
    each such byte is a lone surrogate U+DC80..U+DCFF)."""
    text = exc.object
    bad = [ord(ch) - 0xDC00 for ch in text[exc.start:exc.end] if 0xDC80 <= ord(ch) <= 0xDCFF]
    shown = " ".join(f"0x{byte:02x}" for byte in bad[:2]) or "?"
    return CharacterNotInRepertoire(f'invalid byte sequence for encoding "UTF8": {shown}')


@dataclass(frozen=True, slots=True)
class Notice:
    """A NoticeResponse to send before the statement's result (e.g. 'table ... does not exist,
    skipping')."""

    sqlstate: str
    message: str
    severity: str = "NOTICE"
    extra: dict[str, str] = field(default_factory=dict)

    def fields(self) -> dict[str, str]:
        out = {"S": self.severity, "V": self.severity, "C": self.sqlstate, "M": self.message}
        out.update(self.extra)
        return out


def os_reason(exc: OSError) -> str:
    """The OS's own words for a failed socket call ("Address already in use"), without
    asyncio's wrapping of them."""
    if exc.errno is not None and exc.errno > 0:
        return os.strerror(exc.errno)
    return exc.strerror or str(exc)  # getaddrinfo: "Name or service not known"
