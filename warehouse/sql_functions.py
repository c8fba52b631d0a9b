"""Which SQL functions a query may call.

sqlglot parses the functions it models into typed nodes (`SUM`, `DATE_TRUNC`,
`STRFTIME` as `TimeToStr`, ...); those are allowed unless they read files or
tell about the host, the session or the engine (`DENIED_TYPED`). Every other
function arrives as an anonymous call, and only the names in `ALLOWED_NAMES`
(DuckDB's value, aggregate and window functions that compute on their
arguments alone) pass. A new DuckDB function is refused until listed here.
"""

from __future__ import annotations

import re

# Typed sqlglot functions that must not run, matched on sqlglot's canonical name.
DENIED_TYPED = re.compile(
    r"^(READ_\w*|\w*_SCAN|TO_FILE|SECRET|CURRENT_(?!DATE$|TIMESTAMP$|TIME$)\w*|SESSION_USER|"
    r"\w*TABLE|J_S_O_N_TABLE|X_M_L_TABLE|\w*USER\w*|UUID|SEQ\d|GETENV|.*SETTING.*)$"
)

# Table functions allowed in FROM: they only generate values.
ALLOWED_TABLE_FUNCTIONS = frozenset({"GENERATE_SERIES", "RANGE", "UNNEST", "EXPLODE"})

ALLOWED_NAMES = frozenset(
    """
    abs acos asin atan atan2 cbrt ceil ceiling cos cot degrees even exp factorial floor gamma
    greatest least ln log log10 log2 mod pi pow power radians round round_even sign signbit sin sqrt
    tan trunc bit_count isfinite isinf isnan nextafter xor gcd lcm divide fdiv fmod

    ascii bar bit_length chr concat concat_ws contains ends_with starts_with format printf hash
    ilike_escape instr left length length_grapheme like_escape lower lcase lpad ltrim md5 sha1 sha256
    nfc_normalize not_ilike_escape not_like_escape ord position prefix suffix regexp_escape
    regexp_extract regexp_extract_all regexp_full_match regexp_matches regexp_replace regexp_split_to_array
    repeat replace reverse right rpad rtrim split split_part string_split string_split_regex string_to_array
    strip_accents strlen strpos substr substring substring_grapheme trim translate ucase upper unicode
    jaccard jaro_similarity jaro_winkler_similarity levenshtein damerau_levenshtein hamming mismatches
    editdist3 to_base to_binary to_hex from_hex url_encode url_decode formatreadablesize
    formatreadabledecimalsize format_bytes

    age century date_add date_diff date_part date_sub date_trunc datediff datepart datesub datetrunc
    day dayname dayofmonth dayofweek dayofyear decade epoch epoch_ms epoch_us epoch_ns era extract
    hour isodow isoyear iso_week julian last_day make_date make_time make_timestamp make_timestamptz
    microsecond millennium millisecond minute month monthname nanosecond quarter second strftime
    strptime time_bucket timezone timezone_hour timezone_minute to_days to_hours to_microseconds
    to_milliseconds to_minutes to_months to_seconds to_timestamp to_weeks to_years to_centuries
    to_decades to_millennia today week weekday weekofyear year yearweek try_strptime current_date
    current_timestamp now get_current_timestamp get_current_time transaction_timestamp
    date_bin

    count count_star sum avg mean min max median mode quantile quantile_cont quantile_disc
    percentile_cont percentile_disc approx_quantile approx_count_distinct reservoir_quantile
    stddev stddev_pop stddev_samp variance var_pop var_samp corr covar_pop covar_samp regr_slope
    regr_intercept regr_r2 regr_count regr_avgx regr_avgy entropy kurtosis skewness mad
    any_value arbitrary first last arg_max arg_min argmax argmin max_by min_by arg_max_null arg_min_null
    bool_and bool_or bit_and bit_or bit_xor count_if countif sum_no_overflow product fsum kahan_sum
    favg sumkahan string_agg group_concat listagg list array_agg histogram bitstring_agg geomean
    geometric_mean weighted_avg

    row_number rank dense_rank percent_rank cume_dist ntile lag lead first_value last_value nth_value

    coalesce ifnull nullif if iff typeof try_cast cast alias constant_or_null error

    list_value list_pack array_value list_extract list_element array_extract list_slice array_slice
    list_length array_length len cardinality list_concat list_cat array_concat array_cat list_contains
    list_has array_contains array_has list_position list_indexof array_position array_indexof
    list_distinct array_distinct list_unique array_unique list_sort array_sort list_reverse_sort
    array_reverse_sort list_aggregate list_aggr array_aggregate array_aggr list_sum list_min list_max
    list_avg list_count list_transform array_transform list_apply array_apply apply list_filter
    array_filter filter list_reduce array_reduce reduce flatten list_zip array_zip unnest generate_series
    range list_has_any list_has_all array_has_any array_has_all list_intersect array_intersect
    list_reverse array_reverse list_select array_select list_where array_where list_grade_up
    array_length list_any_value list_first list_last list_bool_and list_bool_or list_string_agg
    list_median list_mode list_product list_stddev_samp list_var_samp

    map map_extract map_extract_value element_at map_keys map_values map_entries map_from_entries
    map_contains map_contains_key map_concat cardinality struct_extract struct_pack row struct_insert
    struct_concat

    json_extract json_extract_string json_extract_path json_extract_path_text json_value json_exists
    json_type json_valid json_keys json_array_length json_contains json_object json_array json_quote
    to_json json_group_array json_group_object json_structure

    grouping grouping_id
    """.split()
)


def function_allowed(name: str, typed: bool) -> bool:
    """Whether a function call may run.

    >>> function_allowed("date_trunc", typed=False), function_allowed("getenv", typed=False)
    (True, False)
    >>> function_allowed("READ_CSV", typed=True), function_allowed("SUM", typed=True)
    (False, True)
    """
    if typed:
        return not DENIED_TYPED.match(name.upper())
    return name.lower() in ALLOWED_NAMES
