-- Limits a regulator can cite: where each figure was checked, when, and why it is not verified.
-- A verified limit names the copy of the standard it was checked against (source_url) and the date
-- (checked_on); an unverified one says what could not be matched (unverified_reason), and every
-- verdict that uses it says "unverified".

alter table ref.limits
    add column source_url        text,
    add column checked_on        date,
    add column unverified_reason text;

comment on column ref.limits.source_url is
    'Address of the copy of the standard the figure was checked against (for an unverified row: the closest copy read, if any).';
comment on column ref.limits.checked_on is 'Date the figure was last checked against a published copy.';
comment on column ref.limits.unverified_reason is
    'Why verified is false: which of figure, product or group, and residue definition could not be matched. Empty when verified.';
comment on column ref.limits.note is 'Remarks on the figure (how it was recorded, its scope).';

-- Shipped rows whose key changed when the figures were checked. Loading never deletes, so the old
-- key would stay in force beside the corrected one; remove it here. The florfenicol figure of
-- 300 μg/kg is for pig muscle only (GB 31650-2019) and now applies to pork alone, not to all mammal meat.
delete from ref.limits
 where (standard, analyte_code, level, product_level_code)
       in (('GB 31650-2019', 'florfenicol', 'group', 'mammal_meat'));
