-- Personal data masked by what it looks like, wherever it is, by one rule.
--
-- V007 masked contact_phone where a phone was expected: that column of a quarantined row, and the
-- reasons about that column. A phone number elsewhere reached operators in clear: in another column
-- of a row whose values shifted, in a source column the contract does not know, in a line that could
-- not be read, inside a reason's value or message, in a file's ledger message. From here on:
--
--   ops.mask_personal(text)   every mainland mobile number, landline number and resident ID number
--                             inside any text masked; everything else left as it was
--   ops.personal_columns()    the contracts' personal columns, under every header they may arrive as
--   ops.mask_jsonb(jsonb)     a whole document (a raw row, a reasons array): personal columns masked
--                             whole with ops.mask_phone, every other string by ops.mask_personal
--   quarantine.rows_masked    operators' view of quarantine.rows, now masked with ops.mask_jsonb
--   ops.files_masked, ops.file_deliveries_masked
--                             operators' view of the ledger with file names and messages masked;
--                             operators no longer read those columns of the tables themselves
--
-- What counts as a number to mask (every form is left alone when it is glued to letters or digits,
-- directly or by one hyphen: it is then part of a longer code such as HGZ-440902-000123,
-- 91440902MA4XXXXXXX, 44090220230104000123 or 20230104-01):
--   mobile     1[3-9] and nine more digits, optionally after +86, 0086 or 86, digits grouped 3-4-4
--              by spaces or hyphens or not at all:  13812345678, +86 138-1234-5678 -> 138****5678
--   landline   an area code 0[1-9]x(x), an optional space or hyphen, a local number of 7 or 8 digits
--              not starting with 0 or 1:  0759-2281234 -> 0759-****1234, 020 83334567 -> 020 ****4567
--   ID         18 characters: 6-digit region, a birth date 18xx-20xx with a real month and day, 3
--              digits and a check character (digit or X) that is right by ISO 7064 MOD 11-2, so a code
--              that merely looks like one (region + date + serial) stays readable:
--              11010519491231002X -> 110105********002X
-- Not masked by pattern: local numbers without an area code, 15-digit IDs, numbers written with
-- full-width digits. They are masked whole in a personal column, and nowhere else.
--
-- The functions run with their caller's rights and name every function of their own they call; they
-- carry no SET search_path (V007's ops.mask_phone did): a per-call SET doubled the cost of masking a
-- page of quarantined rows.

-- ops.mask_phone (V007) keeps masking a personal column's value whole, whatever it looks like.
-- Values of 8 to 10 characters now keep only their last four: keeping the first three and last four of
-- an 8-digit local number showed 7 of its 8 digits.
create or replace function ops.mask_phone(phone text)
returns text
language sql
immutable
parallel safe
as $$
    select case
        when phone is null then null
        when length(phone) >= 11 then left(phone, 3) || repeat('*', length(phone) - 7) || right(phone, 4)
        when length(phone) >= 8 then repeat('*', length(phone) - 4) || right(phone, 4)
        else repeat('*', length(phone))
    end
$$;
comment on function ops.mask_phone(text) is
    'A personal column''s value as shown outside the regulator role, whatever it looks like: 11 or more characters keep the first 3 and last 4 (13812345678 -> 138****5678), 8 to 10 keep the last 4, shorter values are masked whole.';

-- Whether an 18-character resident ID number's last character is its check character (GB 11643).
create function ops.resident_id_valid(id text)
returns boolean
language sql
immutable
parallel safe
as $$
    select id ~ '^[0-9]{17}[0-9Xx]$'
       and substr('10X98765432',
                  (select sum(substr(id, i, 1)::int * (array[7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])[i])
                     from generate_series(1, 17) as i)::int % 11 + 1,
                  1) = upper(right(id, 1))
$$;
comment on function ops.resident_id_valid(text) is
    'True when an 18-character resident ID number''s check character is right (ISO 7064 MOD 11-2, GB 11643).';

create function ops.mask_personal(value text)
returns text
language plpgsql
immutable
strict
parallel safe
as $$
declare
    -- Not glued to a letter or digit, directly or by one hyphen (then it is part of a longer code).
    -- What comes before is matched and put back (group 1): lookbehind is many times slower.
    free_before constant text := '(^|[^0-9A-Za-z-]|(?:^|[^0-9A-Za-z])-)';
    free_after constant text := '(?![0-9A-Za-z])(?!-[0-9A-Za-z])';
    masked text := value;
    candidate text;
begin
    if value !~ '[0-9]{3}[ -]?[0-9]{4}' then
        return value;  -- every form below has three digits, perhaps a space or hyphen, and four more
    end if;
    -- Resident ID numbers first: their 18 digits must not be taken apart by the shorter forms.
    for candidate in
        select m[2] from regexp_matches(value, free_before
            || '([1-9][0-9]{5}(?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9Xx])'
            || free_after, 'g') as m
    loop
        if ops.resident_id_valid(candidate) then
            masked := replace(masked, candidate, left(candidate, 6) || '********' || right(candidate, 4));
        end if;
    end loop;
    -- Mobile numbers: an optional country code, the first 3 and last 4 digits kept.
    masked := regexp_replace(masked, free_before
        || '((?:\+|00)?86[ -]?)?(1[3-9][0-9])[ -]?([0-9]{4})[ -]?([0-9]{4})'
        || free_after, '\1\2\3****\5', 'g');
    -- Landline numbers: the area code and the last 4 digits kept.
    masked := regexp_replace(masked, free_before
        || '(0[1-9][0-9]{1,2})([ -]?)[2-9][0-9]{2,3}([0-9]{4})'
        || free_after, '\1\2\3****\4', 'g');
    return masked;
end
$$;
comment on function ops.mask_personal(text) is
    'Any text as shown outside the regulator role: every mainland mobile number (138****5678), landline number (0759-****1234) and resident ID number with a right check character (110105********002X) in it masked; codes that contain such digits (HGZ-440902-000123, 91440902MA4XXXXXXX) left readable. See migration V010 for the forms.';

-- The contracts' personal fields (include/agritrace/contracts: personal=True), under their name and
-- every header alias, lower case. A test compares this list with the contracts: a new personal field
-- needs a new migration that replaces this function.
create function ops.personal_columns()
returns text[]
language sql
immutable
parallel safe
as $$
    select array['contact_phone', '联系电话', '聯繫電話', '电话', '電話', '手机']
$$;
comment on function ops.personal_columns() is
    'The contracts'' personal columns (personal=True) under every header they may arrive as: masked whole by ops.mask_jsonb.';

create function ops.mask_jsonb(doc jsonb)
returns jsonb
language plpgsql
immutable
parallel safe
as $$
declare
    personal constant text[] := ops.personal_columns();
    personal_reason boolean;
    scalar text;
begin
    case jsonb_typeof(doc)
    when 'object' then
        -- A reason ({rule, column, value, message}) about a personal column carries its value whole.
        personal_reason := doc ? 'column' and exists (
            select from unnest(string_to_array(doc ->> 'column', '+')) as c(name)
             where lower(btrim(c.name)) = any (personal));
        return (
            select coalesce(jsonb_object_agg(
                       ops.mask_personal(e.key),
                       case
                           when jsonb_typeof(e.value) = 'null' then e.value
                           when lower(btrim(e.key)) = any (personal) or (personal_reason and e.key = 'value')
                               then to_jsonb(ops.mask_phone(e.value #>> '{}'))
                           when jsonb_typeof(e.value) = 'string' then to_jsonb(ops.mask_personal(e.value #>> '{}'))
                           when jsonb_typeof(e.value) in ('object', 'array', 'number') then ops.mask_jsonb(e.value)
                           else e.value
                       end), '{}'::jsonb)
              from jsonb_each(doc) as e);
    when 'array' then
        return (
            select coalesce(jsonb_agg(
                       case when jsonb_typeof(a.element) = 'string' then to_jsonb(ops.mask_personal(a.element #>> '{}'))
                            when jsonb_typeof(a.element) in ('object', 'array', 'number') then ops.mask_jsonb(a.element)
                            else a.element
                       end order by a.position), '[]'::jsonb)
              from jsonb_array_elements(doc) with ordinality as a(element, position));
    when 'string' then
        return to_jsonb(ops.mask_personal(doc #>> '{}'));
    when 'number' then
        -- A phone or ID number that arrived as a JSON number becomes a masked string.
        scalar := ops.mask_personal(doc #>> '{}');
        return case when scalar = doc #>> '{}' then doc else to_jsonb(scalar) end;
    else
        return doc;  -- null, true, false (and SQL NULL)
    end case;
end
$$;
comment on function ops.mask_jsonb(jsonb) is
    'A jsonb document as shown outside the regulator role, at any depth: values of personal columns (ops.personal_columns(), as object keys or as the column of a reason) masked whole with ops.mask_phone, every other string and every key masked by pattern with ops.mask_personal.';

grant execute on function ops.resident_id_valid(text), ops.mask_personal(text), ops.personal_columns(),
    ops.mask_jsonb(jsonb) to agritrace_analyst, agritrace_regulator, agritrace_operator;

-- Quarantined rows: the view operators read (the page and API read it too) masks by pattern.
create or replace view quarantine.rows_masked as
select
    q.quarantine_id,
    q.feed,
    q.file_id,
    q.row_number,
    ops.mask_jsonb(q.raw) as raw,
    ops.mask_jsonb(q.reasons) as reasons,
    q.is_orphan,
    q.status,
    q.created_at,
    q.resolved_at,
    q.resolved_by
from quarantine.rows as q;
comment on view quarantine.rows_masked is
    'quarantine.rows as operators may read it: raw values and reasons masked by ops.mask_jsonb (personal columns whole, phone and ID numbers anywhere else by pattern).';

-- The ledger: a file name or a message (which may quote a value of the file) can hold a phone number.
-- Operators keep every other column of the tables and read these through views.
revoke select on ops.files from agritrace_operator;
grant select (file_id, feed, sha256, size_bytes, source_profile, encoding, rows_in, rows_loaded,
              rows_quarantined, status, dag_run_id, received_at, started_at, finished_at)
    on ops.files to agritrace_operator;
create view ops.files_masked as
select
    f.file_id,
    f.feed,
    f.sha256,
    ops.mask_personal(f.file_name) as file_name,
    f.size_bytes,
    f.source_profile,
    f.encoding,
    f.rows_in,
    f.rows_loaded,
    f.rows_quarantined,
    f.status,
    ops.mask_personal(f.message) as message,
    f.dag_run_id,
    f.received_at,
    f.started_at,
    f.finished_at
from ops.files as f;
comment on view ops.files_masked is
    'ops.files as operators may read it: file_name and message masked by ops.mask_personal.';
grant select on ops.files_masked to agritrace_operator;

revoke select on ops.file_deliveries from agritrace_operator;
grant select (delivery_id, file_id, outcome, dag_run_id, seen_at) on ops.file_deliveries to agritrace_operator;
create view ops.file_deliveries_masked as
select
    d.delivery_id,
    d.file_id,
    ops.mask_personal(d.file_name) as file_name,
    d.outcome,
    d.dag_run_id,
    d.seen_at
from ops.file_deliveries as d;
comment on view ops.file_deliveries_masked is
    'ops.file_deliveries as operators may read it: file_name masked by ops.mask_personal.';
grant select on ops.file_deliveries_masked to agritrace_operator;
