"""Where a statement may run: classification of SQL text with pglast (pure, no I/O).

``classify(sql)`` parses the text with PostgreSQL's own grammar and returns a ``Decision``:
the statement's kind, whether a standby may serve it, what it does to the session (begins or
ends a transaction, must be replayed on every backend, pins the session to the primary), and
the reason, for ``pgha.explain_route``. Decisions are cached in bounded LRUs by statement text
(the cached path is one dictionary lookup) and, for SELECT and DML, by the text with its
constants replaced (``shape``), so a new literal costs a regular-expression pass, not a parse.

The rule is PostgreSQL's hot-standby rule made conservative: only a statement that provably
neither writes, locks, nor leaves session state behind may use a standby. In particular:
- SELECT with FOR UPDATE/SHARE, with INTO, with a data-modifying WITH, or calling a function
  not known to be read-only (``nextval``, advisory locks, user functions...) -> primary;
- several statements in one Query -> primary if any of them must;
- text that does not parse -> primary (the primary reports the syntax error);
- temporary tables, LISTEN, session advisory locks, cursors WITH HOLD and SQL-level PREPARE pin
  the session to the primary for the rest of its life;
- SET/RESET/DISCARD run where the session runs and are replayed on every backend it uses.

Hints: a leading comment ``/* pgha:primary */`` sends a statement to the primary;
``/* pgha:standby */`` lets a read use a standby without waiting for read-your-writes (it never
sends a write to a standby: the hint is then ignored, and the reason says so).
"""

from __future__ import annotations

import enum
import re
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from pglast import ast, enums
from pglast.parser import ParseError

from pgha.routing.depth import too_deep
from pgha.routing.lifting import lift


class Kind(enum.Enum):
    READ = "read"
    WRITE = "write"
    DDL = "ddl"
    TRANSACTION = "transaction"
    SESSION = "session"
    UTILITY = "utility"


class Txn(enum.Enum):
    """What the statement does to the transaction block."""

    NONE = "none"
    BEGIN = "begin"
    BEGIN_READ_ONLY = "begin read only"
    END = "end"  # COMMIT, ROLLBACK, PREPARE TRANSACTION...
    INSIDE = "inside"  # SAVEPOINT, RELEASE, ROLLBACK TO: only meaningful in a block


@dataclass(frozen=True, slots=True)
class Decision:
    kind: Kind
    standby_ok: bool  # a standby may run it (outside a transaction pinned to the primary)
    reason: str
    txn: Txn = Txn.NONE
    replay: bool = False  # session state: run it on every backend the session uses
    pins: bool = False  # from now on the session stays on the primary
    hint: str = ""  # "primary" or "standby" from a leading comment
    setting: str = ""  # SET/RESET/SHOW: the setting's name (or RESET_ALL, DISCARD_ALL)
    value: str | None = None  # SET: the value as text (None: RESET, SET ... TO DEFAULT)
    local: bool = False  # acts on the node it is sent to (pg_promote): never forwarded
    cluster_view: bool = False  # reads the pg_replication_* views (whose rows are per node)

    @property
    def target(self) -> str:
        return "standby" if self.standby_ok else "primary"


# Functions a standby may run: they read, compute, or format, and change nothing. Anything
# else (nextval, setval, advisory locks, set_config, pg_notify, user functions) is primary.
_READ_ONLY_NAMES = """
abs acos age array_agg array_append array_cat array_length array_lower array_position
array_positions array_prepend array_remove array_replace array_to_json array_to_string
array_upper ascii asin atan atan2 avg bit_and bit_length bit_or bool_and bool_or btrim
cardinality cbrt ceil ceiling char_length character_length chr clock_timestamp coalesce
col_description concat concat_ws convert_from convert_to corr cos cot count covar_pop
covar_samp cume_dist current_database current_date current_query current_role current_schema
current_schemas current_setting current_time current_timestamp current_user date_bin
date_part date_trunc decode degrees dense_rank div encode every exp extract first_value
floor format format_type gen_random_uuid generate_series generate_subscripts get_bit
get_byte greatest has_column_privilege has_database_privilege has_schema_privilege
has_table_privilege initcap isfinite json_agg json_array_elements json_array_elements_text
json_array_length json_build_array json_build_object json_each json_each_text
json_extract_path json_extract_path_text json_object json_object_agg json_object_keys
json_populate_record json_strip_nulls json_typeof jsonb_agg jsonb_array_elements
jsonb_array_elements_text jsonb_array_length jsonb_build_array jsonb_build_object jsonb_each
jsonb_each_text jsonb_extract_path jsonb_extract_path_text jsonb_insert jsonb_object
jsonb_object_agg jsonb_object_keys jsonb_path_exists jsonb_path_query jsonb_pretty jsonb_set
jsonb_strip_nulls jsonb_typeof justify_days justify_hours justify_interval lag last_value
lead least left length ln localtime localtimestamp log log10 lower lpad ltrim make_date
make_interval make_time make_timestamp make_timestamptz max md5 min mod now nth_value
ntile nullif num_nonnulls num_nulls obj_description octet_length overlay percent_rank
percentile_cont percentile_disc pg_backend_pid pg_column_size pg_database_size
pg_encoding_to_char pg_get_constraintdef pg_get_expr pg_get_indexdef pg_get_keywords
pg_get_serial_sequence pg_get_userbyid pg_get_viewdef pg_has_role pg_is_in_recovery
pg_last_wal_replay_lsn pg_postmaster_start_time pg_relation_size pg_size_pretty pg_sleep
pg_table_is_visible pg_table_size pg_total_relation_size pg_type_is_visible pg_typeof
pi position power quote_ident quote_literal quote_nullable radians random rank
regexp_match regexp_matches regexp_replace regexp_split_to_array regexp_split_to_table
repeat replace reverse right round row_number row_to_json rpad rtrim scale session_user
set_bit set_byte setseed sha224 sha256 sha384 sha512 sign sin split_part sqrt starts_with
statement_timestamp stddev stddev_pop stddev_samp string_agg string_to_array strpos
substr substring sum tan timeofday to_ascii to_char to_date to_hex to_json to_jsonb
to_number to_timestamp transaction_timestamp translate trim trim_scale trunc unnest upper
user var_pop var_samp variance version width_bucket xmlagg
timezone overlaps similar_to_escape like_escape to_regclass to_regtype to_regproc
to_regprocedure to_regnamespace to_regrole to_regoper to_regoperator ts_rank ts_rank_cd
to_tsvector to_tsquery plainto_tsquery phraseto_tsquery websearch_to_tsquery ts_headline
setweight strip numnode querytree pg_get_triggerdef pg_get_function_result
pg_get_function_arguments pg_get_function_identity_arguments pg_function_is_visible
pg_get_partkeydef pg_get_ruledef pg_get_statisticsobjdef pg_get_constraintdef
pg_get_functiondef pg_get_indexdef array_dims array_ndims string_to_table unistr
pg_index_column_has_property pg_indexam_has_property pg_opclass_is_visible pg_opfamily_is_visible
pg_collation_is_visible pg_conversion_is_visible pg_operator_is_visible
pg_ts_config_is_visible pg_get_partition_constraintdef pg_tablespace_location
pg_relation_filenode pg_relation_filepath pg_indexes_size pg_column_is_updatable
pg_relation_is_updatable shobj_description pg_describe_object pg_identify_object
quote_ident row_number has_sequence_privilege has_function_privilege has_any_column_privilege
pg_partition_ancestors pg_get_statisticsobjdef_columns
getdatabaseencoding pg_char_to_encoding pg_statistics_obj_is_visible pg_get_function_sqlbody
"""
READ_ONLY_FUNCTIONS = frozenset(_READ_ONLY_NAMES.split())

# Functions that leave state in the backend that ran them (a lock held until the session ends,
# a session setting): the session must stay on the primary where they ran.
SESSION_STATE_FUNCTIONS = frozenset({
    "pg_advisory_lock", "pg_advisory_lock_shared", "pg_try_advisory_lock",
    "pg_try_advisory_lock_shared", "set_config", "setseed",
})

# Functions that act on the node the client sent them to: never forwarded.
NODE_LOCAL_FUNCTIONS = frozenset({"pg_promote", "pgha_force_promote"})

RESET_ALL = "*"  # Decision.setting of RESET ALL (keeps the role, as PostgreSQL does)
DISCARD_ALL = "discard all"  # Decision.setting of DISCARD ALL (resets the role too)

_HINT = re.compile(r"\A\s*/\*\s*pgha:(primary|standby)\s*\*/", re.IGNORECASE)

WRITE_NODES = (ast.InsertStmt, ast.UpdateStmt, ast.DeleteStmt, ast.MergeStmt)
# Statements that are neither reads nor session state: everything they do is on the primary.
DDL_PREFIXES = ("Create", "Alter", "Drop", "Rename", "Grant", "Comment", "Truncate", "Index",
                "View", "Reindex", "Cluster", "Refresh", "Sec", "Import", "Rule", "Define",
                "Composite", "Reassign", "Policy")


_ROUTE_UNQUOTED = re.compile(
    r"(\A\s*SET\s+(?:SESSION\s+)?pgha\.route\s*(?:=|TO)\s*)(primary|standby|auto)(\s*;?\s*\Z)",
    re.IGNORECASE)


def quote_route_setting(sql: str) -> str:
    """``SET pgha.route = primary``: PRIMARY is a reserved word of PostgreSQL's grammar, so
    the unquoted form (as pgha's docs write it) is quoted before parsing."""
    if "pgha.route" not in sql:
        return sql
    return _ROUTE_UNQUOTED.sub(r"\1'\2'\3", sql)


class Lru:
    """A bounded mapping that forgets the least recently used entry first."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._items: OrderedDict[str, Decision] = OrderedDict()

    def get(self, key: str) -> Decision | None:
        found = self._items.get(key)
        if found is not None:
            self._items.move_to_end(key)
        return found

    def put(self, key: str, value: Decision) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        if len(self._items) > self.limit:
            self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


_BY_TEXT = Lru(20_000)  # exact text: one lookup for statements a client repeats
_BY_SHAPE = Lru(20_000)  # text with its literals replaced: a new literal costs no parse

# Statements whose routing never depends on a literal's value: SELECT, DML, VALUES, TABLE.
_DML = re.compile(r"\A(?:\s|--[^\n]*\n|/\*.*?\*/)*(?:SELECT|INSERT|UPDATE|DELETE|WITH|VALUES|TABLE|"
                  r"MERGE)\b", re.IGNORECASE | re.DOTALL)
# Tokens scanned left to right: quoted identifiers and comments are kept (hints live in
# comments); string constants (plain, E'', dollar-quoted) and numbers become placeholders.
# The lookahead lets the scan skip a character no token starts with in one test instead of
# trying every branch there (2.5x faster on a pgbench statement).
TOKENS = re.compile(
    r"""(?=["\-/eE'$0-9])"""
    r"""(?:("(?:[^"]|"")*"|--[^\n]*|/\*.*?\*/)"""
    r"""|(?<![\w$])[eE]'(?:[^'\\]|\\.|'')*'|'(?:[^']|'')*'|\$((?:[A-Za-z_]\w*)?)\$.*?\$\2\$"""
    r"""|(?<![\w$.])\d+(?:\.\d*)?(?:[eE][+-]?\d+)?)""", re.DOTALL)


def shape(sql: str) -> str | None:
    """``sql`` with its constants replaced by ``?``, if its routing cannot depend on them
    (else None): ``select * from t where id = 7`` and ``... id = 8`` share one decision."""
    if _DML.match(sql) is None:
        return None
    return TOKENS.sub(lambda t: t.group(1) or "?", sql)


# Statements longer than this are not cached by text or shape (hashing and scanning them costs
# more than it saves); parsing one takes seconds, so callers on an event loop classify it on a
# worker thread first, and ``classify`` finds that same string object in ``_LARGE`` afterwards.
LARGE_TEXT = 1 << 16
_LARGE: dict[int, tuple[str, Decision]] = {}  # id(text) -> (text, decision), the last few


def classify(sql: str) -> Decision:
    """The routing decision for ``sql`` (one Query's text, or one Parse's). Safe to call from
    a worker thread for texts over LARGE_TEXT (see above)."""
    if len(sql) > LARGE_TEXT:
        known = _LARGE.get(id(sql))
        if known is not None and known[0] is sql:
            return known[1]
        decision = _classify(sql)
        _LARGE[id(sql)] = (sql, decision)
        while len(_LARGE) > 16:
            del _LARGE[next(iter(_LARGE))]
        return decision
    decision = _BY_TEXT.get(sql)
    if decision is not None:
        return decision
    key = shape(sql)
    decision = _BY_SHAPE.get(key) if key is not None else None
    if decision is None:
        decision = _classify(sql)
        if key is not None:
            _BY_SHAPE.put(key, decision)
    _BY_TEXT.put(sql, decision)
    return decision


def _classify(sql: str) -> Decision:
    match = _HINT.match(sql)
    hint = match.group(1).lower() if match else ""
    lifted = lift(sql)  # a very large text's long constants (see lifting)
    if too_deep(lifted.text):  # building its tree could crash the process: the primary refuses it
        return Decision(Kind.UTILITY, False, "nested too deeply: the primary reports the error",
                        hint=hint)
    try:
        stmts = [raw.stmt for raw in lifted.parse()]
    except ParseError:
        return Decision(Kind.UTILITY, False, "does not parse: the primary reports the error",
                        hint=hint)
    if not stmts:
        return Decision(Kind.READ, True, "empty query", hint=hint)
    decisions = [_statement(s) for s in stmts]
    decision = decisions[0] if len(decisions) == 1 else _combine(decisions)
    if hint == "primary":
        return _with(decision, standby_ok=False, hint=hint,
                     reason=f"hint /* pgha:primary */ ({decision.reason})")
    if hint == "standby":
        if decision.kind is Kind.READ:
            return _with(decision, standby_ok=True, hint=hint,
                         reason=f"hint /* pgha:standby */ ({decision.reason})")
        return _with(decision, hint=hint,
                     reason=f"{decision.reason}; hint /* pgha:standby */ ignored: it may write")
    return decision


def _with(decision: Decision, **changes: Any) -> Decision:
    fields = {f: getattr(decision, f) for f in Decision.__slots__}
    fields.update(changes)
    return Decision(**fields)


def _combine(decisions: list[Decision]) -> Decision:
    """Several statements in one Query run as one implicit transaction, on one backend."""
    bad = next((d for d in decisions if not d.standby_ok), None)
    kinds = {d.kind for d in decisions}
    if Kind.WRITE in kinds or Kind.DDL in kinds:
        kind = Kind.WRITE
    elif Kind.UTILITY in kinds:
        kind = Kind.UTILITY
    elif bad is None:  # reads with settings or read-only transaction control: a read
        kind = next(k for k in (Kind.READ, Kind.SESSION, Kind.TRANSACTION) if k in kinds)
    else:  # what keeps it off the standby names it
        kind = next(k for k in (Kind.SESSION, Kind.TRANSACTION, Kind.READ) if k in kinds)
    txn = next((d.txn for d in reversed(decisions) if d.txn is not Txn.NONE), Txn.NONE)
    reason = (f"multi-statement query: {bad.reason}" if bad
              else "multi-statement query of reads")
    # Replaying the text on another backend is right only when nothing in it writes.
    replay = bad is None and any(d.replay for d in decisions)
    return Decision(kind, bad is None, reason, txn, replay, any(d.pins for d in decisions))


def _statement(node: Any) -> Decision:
    if isinstance(node, ast.SelectStmt):
        return _select(node)
    if isinstance(node, WRITE_NODES):
        return Decision(Kind.WRITE, False, f"{_name(node)} writes")
    if isinstance(node, ast.TransactionStmt):
        return _transaction(node)
    if isinstance(node, ast.VariableSetStmt):
        if node.is_local or node.name == "TRANSACTION":
            return Decision(Kind.SESSION, True, "applies to the current transaction only")
        name, value = _setting(node)
        return Decision(Kind.SESSION, True, "session setting: replayed on every backend",
                        replay=True, setting=name, value=value)
    if isinstance(node, ast.VariableShowStmt):
        return Decision(Kind.READ, True, "SHOW reads a setting", setting=node.name.lower())
    if isinstance(node, ast.DiscardStmt):
        everything = node.target == enums.DiscardMode.DISCARD_ALL
        return Decision(Kind.SESSION, True, "DISCARD resets session state on every backend",
                        replay=True, setting=DISCARD_ALL if everything else "")
    if isinstance(node, ast.CopyStmt):
        if node.is_from:
            return Decision(Kind.WRITE, False, "COPY FROM writes")
        if node.query is not None:
            inner = _statement(node.query)
            return _with(inner, reason=f"COPY (query) TO: {inner.reason}")
        return Decision(Kind.READ, True, "COPY TO reads")
    if isinstance(node, ast.ExplainStmt):
        analyze = any(opt.defname == "analyze" and _truthy(opt.arg)
                      for opt in node.options or ())
        inner = _statement(node.query)
        if analyze or inner.standby_ok:
            return _with(inner, reason=f"EXPLAIN{' ANALYZE' if analyze else ''}: "
                                       f"{inner.reason}", txn=Txn.NONE, replay=False)
        return Decision(Kind.READ, True, "EXPLAIN without ANALYZE does not run the statement")
    if isinstance(node, ast.CreateStmt | ast.CreateTableAsStmt | ast.ViewStmt |
                  ast.CreateSeqStmt):
        relation = (node.into.rel if isinstance(node, ast.CreateTableAsStmt)
                    else node.view if isinstance(node, ast.ViewStmt)
                    else node.sequence if isinstance(node, ast.CreateSeqStmt)
                    else node.relation)
        if relation.relpersistence == "t" or relation.schemaname == "pg_temp":
            return Decision(Kind.DDL, False, "temporary object: pins the session to the "
                            "primary", pins=True)
        return Decision(Kind.DDL, False, f"{_name(node)} changes the schema")
    if isinstance(node, ast.ListenStmt):
        return Decision(Kind.SESSION, False, "LISTEN pins the session to the primary",
                        pins=True)
    if isinstance(node, ast.UnlistenStmt | ast.NotifyStmt):
        return Decision(Kind.UTILITY, False, f"{_name(node)} runs on the primary")
    if isinstance(node, ast.PrepareStmt):
        return Decision(Kind.SESSION, False, "PREPARE pins the session to the primary",
                        pins=True)
    if isinstance(node, ast.ExecuteStmt):
        return Decision(Kind.SESSION, False, "EXECUTE runs where PREPARE did (the primary)")
    if isinstance(node, ast.DeallocateStmt):
        return Decision(Kind.SESSION, True, "DEALLOCATE runs where the session runs")
    if isinstance(node, ast.DeclareCursorStmt):
        inner = _statement(node.query)
        if node.options & 0x0020:  # CURSOR_OPT_HOLD
            return Decision(Kind.SESSION, False, "cursor WITH HOLD pins the session to the "
                            "primary", pins=True)
        return _with(inner, reason=f"DECLARE CURSOR: {inner.reason}")
    if isinstance(node, ast.FetchStmt | ast.ClosePortalStmt):
        return Decision(Kind.SESSION, True, f"{_name(node)} runs where its cursor is")
    if isinstance(node, ast.LockStmt):
        return Decision(Kind.WRITE, False, "LOCK TABLE runs on the primary")
    if isinstance(node, ast.CallStmt | ast.DoStmt):
        return Decision(Kind.WRITE, False, f"{_name(node)} may write")
    if isinstance(node, ast.VacuumStmt | ast.CheckPointStmt | ast.LoadStmt):
        return Decision(Kind.UTILITY, False, f"{_name(node)} runs on the primary")
    name = type(node).__name__
    if name.startswith(DDL_PREFIXES):
        return Decision(Kind.DDL, False, f"{_name(node)} changes the schema")
    return Decision(Kind.UTILITY, False, f"{_name(node)}: not known to be read-only")


def _transaction(node: ast.TransactionStmt) -> Decision:
    kind = node.kind
    K = type(kind)
    if kind in (K.TRANS_STMT_BEGIN, K.TRANS_STMT_START):
        options = {opt.defname: opt.arg for opt in node.options or ()}
        read_only = "transaction_read_only" in options and _truthy(
            options["transaction_read_only"])
        level = getattr(getattr(options.get("transaction_isolation"), "val", None), "sval", "")
        if read_only and level == "serializable":
            return Decision(Kind.TRANSACTION, False, "a serializable transaction runs on the "
                            "primary (a hot standby refuses serializable mode)", Txn.BEGIN)
        if read_only:
            return Decision(Kind.TRANSACTION, True, "BEGIN READ ONLY may use a standby",
                            Txn.BEGIN_READ_ONLY)
        return Decision(Kind.TRANSACTION, False, "a transaction that may write runs on the "
                        "primary", Txn.BEGIN)
    if kind in (K.TRANS_STMT_SAVEPOINT, K.TRANS_STMT_RELEASE, K.TRANS_STMT_ROLLBACK_TO):
        return Decision(Kind.TRANSACTION, True, "savepoint: runs in the current transaction",
                        Txn.INSIDE)
    if kind in (K.TRANS_STMT_PREPARE, K.TRANS_STMT_COMMIT_PREPARED,
                K.TRANS_STMT_ROLLBACK_PREPARED):
        return Decision(Kind.TRANSACTION, False, "two-phase commit runs on the primary",
                        Txn.END)
    if getattr(node, "chain", False):
        return Decision(Kind.TRANSACTION, True, "AND CHAIN: the next transaction continues "
                        "where this one ran", Txn.INSIDE)
    return Decision(Kind.TRANSACTION, True, "ends the current transaction where it runs",
                    Txn.END)


def _select(node: ast.SelectStmt) -> Decision:
    if node.intoClause is not None:
        if node.intoClause.rel.relpersistence == "t":
            return Decision(Kind.DDL, False, "SELECT INTO a temporary table pins the session",
                            pins=True)
        return Decision(Kind.DDL, False, "SELECT INTO creates a table")
    found = _Scan()
    found.visit(node)
    if found.writes:
        return Decision(Kind.WRITE, False, f"WITH clause contains {found.writes}")
    if found.locks:
        return Decision(Kind.WRITE, False, f"SELECT ... {found.locks} locks rows")
    if found.session_state:
        return Decision(Kind.WRITE, False, f"{found.session_state}() leaves session state "
                        "(a lock, a setting): pins the session to the primary", pins=True)
    if found.unknown:
        return Decision(Kind.WRITE, False, f"{found.unknown}() is not known to be read-only")
    if found.node_local:
        return Decision(Kind.UTILITY, True, f"{found.node_local}() acts on the node it is "
                        "sent to", local=True)
    if found.cluster_view:
        return Decision(Kind.READ, True, f"read-only SELECT of {found.cluster_view}",
                        cluster_view=True)
    return Decision(Kind.READ, True, "read-only SELECT")


class _Scan:
    """Walks a statement tree for what makes a SELECT unfit for a standby."""

    def __init__(self) -> None:
        self.writes = ""
        self.locks = ""
        self.unknown = ""
        self.session_state = ""
        self.node_local = ""
        self.cluster_view = ""

    def visit(self, node: Any) -> None:
        if isinstance(node, tuple | list):
            for item in node:
                self.visit(item)
            return
        if not isinstance(node, ast.Node):
            return
        if isinstance(node, WRITE_NODES):
            self.writes = self.writes or _name(node)
        elif isinstance(node, ast.RangeVar) and node.relname.startswith("pg_replication_"):
            self.cluster_view = self.cluster_view or node.relname
        elif isinstance(node, ast.LockingClause):
            self.locks = self.locks or _LOCKS.get(node.strength.name, "FOR UPDATE")
        elif isinstance(node, ast.FuncCall):
            name = node.funcname[-1].sval.lower()
            schema = node.funcname[0].sval.lower() if len(node.funcname) > 1 else "pg_catalog"
            if name in SESSION_STATE_FUNCTIONS:
                self.session_state = self.session_state or name
            elif name in NODE_LOCAL_FUNCTIONS:
                self.node_local = self.node_local or name
            elif schema == "information_schema":
                pass  # its helper functions (_pg_expandarray...) only read the catalog
            elif schema != "pg_catalog" or name not in READ_ONLY_FUNCTIONS:
                self.unknown = self.unknown or name
        for slot in node.__slots__:
            value = getattr(node, slot)
            if isinstance(value, ast.Node | tuple | list):
                self.visit(value)


_LOCKS = {"LCS_FORUPDATE": "FOR UPDATE", "LCS_FORNOKEYUPDATE": "FOR NO KEY UPDATE",
          "LCS_FORSHARE": "FOR SHARE", "LCS_FORKEYSHARE": "FOR KEY SHARE"}


def _setting(node: ast.VariableSetStmt) -> tuple[str, str | None]:
    """(name, value as text) of SET/RESET; (RESET_ALL, None) for RESET ALL."""
    kind = node.kind
    if kind == enums.VariableSetKind.VAR_RESET_ALL:
        return RESET_ALL, None
    name = (node.name or "").lower()
    if kind != enums.VariableSetKind.VAR_SET_VALUE or not node.args:
        return name, None
    parts = []
    for arg in node.args:
        val = getattr(arg, "val", None)
        if isinstance(val, ast.String):
            parts.append(val.sval)
        elif isinstance(val, ast.Integer):
            parts.append(str(val.ival))
        elif isinstance(val, ast.Float):
            parts.append(val.fval)
        else:
            parts.append(str(getattr(val, "boolval", "")))
    return name, ", ".join(parts)


def _truthy(arg: Any) -> bool:
    val = getattr(arg, "val", arg)
    if isinstance(val, ast.Integer):
        return bool(val.ival)
    if isinstance(val, ast.String):
        return val.sval.lower() in ("on", "true", "1", "yes")
    return arg is None or bool(getattr(val, "boolval", True))


_TAGS = {"CreateStmt": "CREATE TABLE", "IndexStmt": "CREATE INDEX", "ViewStmt": "CREATE VIEW",
         "CreateSeqStmt": "CREATE SEQUENCE", "CreateTableAsStmt": "CREATE TABLE AS",
         "RenameStmt": "ALTER ... RENAME", "CreateFunctionStmt": "CREATE FUNCTION",
         "CreateSchemaStmt": "CREATE SCHEMA", "CreatedbStmt": "CREATE DATABASE",
         "DropdbStmt": "DROP DATABASE", "CreateRoleStmt": "CREATE ROLE",
         "DeclareCursorStmt": "DECLARE CURSOR", "ClosePortalStmt": "CLOSE",
         "CheckPointStmt": "CHECKPOINT", "DoStmt": "DO", "CreateTrigStmt": "CREATE TRIGGER",
         "CompositeTypeStmt": "CREATE TYPE", "CreateEnumStmt": "CREATE TYPE",
         "CreateRangeStmt": "CREATE TYPE", "RuleStmt": "CREATE RULE",
         "CreateTableSpaceStmt": "CREATE TABLESPACE", "CreateEventTrigStmt":
         "CREATE EVENT TRIGGER", "SecLabelStmt": "SECURITY LABEL", "RefreshMatViewStmt":
         "REFRESH MATERIALIZED VIEW", "CreateStatsStmt": "CREATE STATISTICS",
         "CreateAmStmt": "CREATE ACCESS METHOD", "CreateFdwStmt": "CREATE FOREIGN DATA WRAPPER",
         "CreatePLangStmt": "CREATE LANGUAGE", "CreateOpClassStmt": "CREATE OPERATOR CLASS",
         "CreateOpFamilyStmt": "CREATE OPERATOR FAMILY", "AlterTSConfigurationStmt":
         "ALTER TEXT SEARCH CONFIGURATION", "AlterTSDictionaryStmt":
         "ALTER TEXT SEARCH DICTIONARY"}
# DefineStmt is CREATE AGGREGATE, OPERATOR, TYPE, COLLATION or a text-search object.
_DEFINED = {"OBJECT_AGGREGATE": "CREATE AGGREGATE", "OBJECT_OPERATOR": "CREATE OPERATOR",
            "OBJECT_TYPE": "CREATE TYPE", "OBJECT_COLLATION": "CREATE COLLATION",
            "OBJECT_TSPARSER": "CREATE TEXT SEARCH PARSER",
            "OBJECT_TSDICTIONARY": "CREATE TEXT SEARCH DICTIONARY",
            "OBJECT_TSTEMPLATE": "CREATE TEXT SEARCH TEMPLATE",
            "OBJECT_TSCONFIGURATION": "CREATE TEXT SEARCH CONFIGURATION"}


def command_name(node: Any) -> str:
    """The statement as PostgreSQL's command tags name it (INSERT, CREATE INDEX...): what a
    "... is not supported" error calls it."""
    return _name(node)


def _name(node: Any) -> str:
    cls = type(node).__name__
    if cls == "CreateFunctionStmt" and node.is_procedure:
        return "CREATE PROCEDURE"
    if cls == "DefineStmt":
        return _DEFINED.get(getattr(node.kind, "name", ""), "CREATE")
    if cls in _TAGS:
        return _TAGS[cls]
    words = re.findall(r"[A-Z][a-z]*", cls.removesuffix("Stmt"))
    return " ".join(words).upper()
