-- trace.mask_phone: a contact phone number as shown to anyone but a regulator.
-- Keeps the first three and last four characters (enough to confirm a number the caller already
-- knows, not enough to dial one), e.g. 13812345678 -> 138****5678; short values are fully masked.
create function trace.mask_phone(phone text)
returns text
language sql
immutable
parallel safe
set search_path = pg_catalog, pg_temp
as $$
    -- The warehouse's one masking rule lives in ops.mask_phone (migration V007).
    select ops.mask_phone(phone)
$$;
