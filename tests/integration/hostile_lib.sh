# shellcheck shell=bash
# Hostile values for it_hostile_data.sh (sourced after lib.sh): a SQLite source with one keyed
# row per hostile value, the canonical rendering of each row in every engine (hex of the
# canonical cell text, md5 for the 16 MB values), and the check that each row either arrived
# unchanged or sits in _dead_letters with an error naming the problem.

# One row per value: id|kind|column|SQLite expression|expected outcome per destination
# (sqlite pg mysql clickhouse: A = arrives unchanged, D = dead-lettered).
# docs/hostile-data.md is this table in prose; change both.
N38=$(printf '9%.0s' {1..38}) N65=$(printf '9%.0s' {1..65})
Z38=$(printf '0%.0s' {1..38}) Z65=$(printf '0%.0s' {1..65}) Z39=$(printf '0%.0s' {1..39})
HOSTILE_ROWS="\
1|text_nul|s|CAST(x'610062' AS TEXT)|A D A A
2|utf8_lone_ff|s|CAST(x'61ff62' AS TEXT)|A D D A
3|utf8_truncated|s|CAST(x'61e282' AS TEXT)|A D D A
4|utf8_overlong|s|CAST(x'c0af' AS TEXT)|A D D A
5|text_16mb|s|hex(randomblob(8388608))|A A A A
6|blob_16mb|b|randomblob(16777216)|A A A A
7|float_nan|f|'NaN'|A A D A
8|float_pos_inf|f|9e999|A A D A
9|float_neg_inf|f|-9e999|A A D A
10|dec38_max|d38|'$N38'|A A A A
11|dec38_min|d38|'-$N38'|A A A A
12|dec38_39_digits|d38|'1$Z38'|A D D D
13|dec65_max|d65|'$N65'|A A A A
14|dec65_66_digits|d65|'1$Z65'|A D D A
15|dec_40_decimals|dw|'0.${Z39}1'|A A D A
16|dec_100_digits|dw|'1${Z65}${Z38}'|A A D A
17|int64_min|i|-9223372036854775807 - 1|A A A A
18|int64_max|i|9223372036854775807|A A A A
19|uint64_max|u|'18446744073709551615'|A A A A
20|ts_0001|ts|'0001-01-01 00:00:00'|A A A A
21|ts_1969_last_us|ts|'1969-12-31 23:59:59.999999'|A A A A
22|ts_1970|ts|'1970-01-01 00:00:00'|A A A A
23|ts_2038_overflow|ts|'2038-01-19 03:14:08'|A A A A
24|ts_2106_overflow|ts|'2106-02-07 06:28:16'|A A A A
25|ts_9999_last_us|ts|'9999-12-31 23:59:59.999999'|A A A A
26|date_0001|dt|'0001-01-01'|A A A D
27|date_1969|dt|'1969-12-31'|A A A D
28|date_2149|dt|'2149-06-07'|A A A D
29|date_9999|dt|'9999-12-31'|A A A D
30|dec_scale_rounds|d2|'1.005'|A D D D"
HOSTILE_DESTS=(sqlite pg mysql clickhouse)

# hostile_source DB: the source table.
hostile_source() {
    local sql="CREATE TABLE hostile (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, s TEXT, b BLOB,
      f DOUBLE, d2 DECIMAL_TEXT(20,2), d38 DECIMAL_TEXT(38,0), d65 DECIMAL_TEXT(65,0),
      dw DECIMAL_TEXT, i BIGINT, u U64_TEXT, dt DATE, ts TIMESTAMP);" id kind col expr rest
    while IFS='|' read -r id kind col expr rest; do
        sql+="INSERT INTO hostile (id, kind, $col) VALUES ($id, '$kind', $expr);"
    done <<<"$HOSTILE_ROWS"
    sqlite_sql "$1" "$sql"
}

# Canonical rendering of TABLE in each engine: "id<TAB>hex of the canonical text or bytes" of
# the one non-NULL value of each row (md5:... where the engine can hash a 16 MB value itself).
hostile_sqlite_render() { # DB TABLE
    sqlite_sql -separator $'\t' "$1" "SELECT id, hex(COALESCE(s, b, CASE WHEN typeof(f) <> 'real'
      THEN f WHEN f > 1e308 THEN 'Infinity' WHEN f < -1e308 THEN '-Infinity' ELSE f END,
      d2, d38, d65, dw, i, u, dt, ts)) FROM $2 ORDER BY id"
}
hostile_pg_render() { # TABLE
    pg_sql -F $'\t' -c "SET DateStyle = ISO; SET extra_float_digits = 3;
      SELECT id, CASE WHEN octet_length(x) > 100000 THEN 'md5:' || md5(x) ELSE encode(x, 'hex') END
      FROM (SELECT id, COALESCE(convert_to(s, 'UTF8'), b, convert_to(COALESCE(f::text, d2::text,
        d38::text, d65::text, dw::text, i::text, u::text, dt::text, ts::text), 'UTF8')) AS x
        FROM $1) q ORDER BY id"
}
hostile_my_render() { # TABLE
    mys -e "SELECT id, IF(LENGTH(x) > 100000, CONCAT('md5:', MD5(x)), HEX(x))
      FROM (SELECT id, COALESCE(CAST(s AS BINARY), b, CAST(COALESCE(CAST(f AS CHAR),
        CAST(d2 AS CHAR), CAST(d38 AS CHAR), CAST(d65 AS CHAR), CAST(dw AS CHAR), CAST(i AS CHAR),
        CAST(u AS CHAR), CAST(dt AS CHAR),
        TRIM(TRAILING '.' FROM TRIM(TRAILING '0' FROM CAST(ts AS CHAR)))) AS BINARY)) AS x
        FROM $1) q ORDER BY id"
}
# ClickHouse 18.16's toString(Decimal128) garbles values beyond 2^64 (the stored value and its
# TSV output are right), so Decimal columns are rendered from the TSV output.
hostile_ch_render() { # TABLE
    ch_sql "SELECT id, if(length(x) > 100000, concat('md5:', lower(hex(MD5(x)))), hex(x))
      FROM (SELECT id, coalesce(s, b, if(isNaN(f), 'NaN', if(isInfinite(f), if(f > 0, 'Infinity',
        '-Infinity'), toString(f))), d65, dw, toString(i), toString(u), toString(dt),
        toString(ts)) AS x FROM $1 FINAL WHERE d2 IS NULL AND d38 IS NULL) ORDER BY id FORMAT TSV"
    ch_sql "SELECT id, d2, d38 FROM $1 FINAL WHERE d2 IS NOT NULL OR d38 IS NOT NULL FORMAT TSV" |
        python3 -c 'import sys
for l in sys.stdin:
    i, *v = l.rstrip("\n").split("\t")
    print(i + "\t" + "".join(x for x in v if x != "\\N").encode().hex())'
}

# hostile_check DEST EXPECTED ACTUAL DEADLETTERS: compare, print the row outcomes ("id kind
# outcome error") to $WORK/matrix.DEST, fail on any row that neither arrived unchanged nor was
# dead-lettered with an error, or whose outcome differs from HOSTILE_ROWS.
hostile_check() {
    HOSTILE_ROWS=$HOSTILE_ROWS python3 - "$@" <<'PY' >"$WORK/matrix.$1" || fail "$1: $(cat "$WORK/matrix.$1")"
import hashlib, os, re, sys
dest, exp_f, act_f, dl_f = sys.argv[1:]
col = ["sqlite", "pg", "mysql", "clickhouse"].index(dest)
def canon(v):
    v = v.strip()
    if v.startswith("md5:"):
        return v.lower()
    if len(v) > 200000:
        return "md5:" + hashlib.md5(bytes.fromhex(v)).hexdigest()
    return v.upper()
def table(path):
    out = {}
    for line in open(path, encoding="latin-1"):
        if line.strip():
            k, _, v = line.rstrip("\n").partition("\t")
            out[int(k)] = canon(v)
    return out
exp, act = table(exp_f), table(act_f)
dl = {}
for line in open(dl_f, encoding="latin-1"):
    m = re.match(r'\{"id":(-?\d+).*\t(.*)$', line.rstrip("\n"))
    if m:
        dl.setdefault(int(m.group(1)), []).append(m.group(2))
# What an error must mention to name the problem, by the column that holds the value.
problem = {"s": r"NUL|byte sequence|string value|encoding", "f": r"double|NaN|Infinity",
           "dt": r"[Dd]ate", "ts": r"[Dd]ate|[Tt]ime"}
problem.update(dict.fromkeys(["d2", "d38", "d65", "dw"], r"numeric|range|truncated|digits|[Dd]ecimal"))
bad = []
for row in os.environ["HOSTILE_ROWS"].splitlines():
    f = row.split("|")
    rid, kind, want = int(f[0]), f[1], f[4].split()[col]
    named = lambda err: re.search(problem.get(f[2], r"^$"), err)
    if rid in act and rid in dl:
        bad.append(f"{kind}: both loaded and dead-lettered")
    elif rid in act:
        got = "A" if act[rid] == exp[rid] else "ALTERED"
        print(f"{rid}\t{kind}\t{got}\t" + ("" if got == "A" else f"{act[rid][:80]} != {exp[rid][:80]}"))
        if got != want:
            bad.append(f"{kind}: {got}, expected {want}" + (f" ({act[rid][:80]} != {exp[rid][:80]})" if got != "A" else ""))
    elif rid in dl:
        err = dl[rid][0]
        print(f"{rid}\t{kind}\tD\t{err}")
        if len(dl[rid]) != 1 or not named(err):
            bad.append(f"{kind}: {len(dl[rid])} dead letters, error '{err}'")
        elif want != "D":
            bad.append(f"{kind}: dead-lettered ({err}), expected {want}")
    else:
        bad.append(f"{kind}: dropped (neither loaded nor dead-lettered)")
if set(act) - set(exp):
    bad.append(f"unexpected rows {sorted(set(act) - set(exp))}")
if bad:
    print("\n".join(bad))
    sys.exit(1)
PY
}
