-- trace.mask_phone: a contact phone number as shown to anyone but a regulator.
-- Keeps the first three and last four characters of 11 or more (enough to confirm a number the caller
-- already knows, not enough to dial one), e.g. 13812345678 -> 138****5678; 8 to 10 characters keep
-- the last four; shorter values are fully masked. The value is masked whole, whatever it looks like.
create function trace.mask_phone(phone text)
returns text
language sql
immutable
parallel safe
set search_path = pg_catalog, pg_temp
as $$
    -- The warehouse's masking rules live in schema ops: ops.mask_phone (a personal column's value,
    -- whole; migrations V007 and V010), ops.mask_personal (phone and ID numbers inside any text) and
    -- ops.mask_jsonb (a whole document) from migration V010.
    select ops.mask_phone(phone)
$$;
