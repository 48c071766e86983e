-- Jurisdictions, reference packs and test categories.
--
-- Every standard belongs to a jurisdiction (CN for the shipped mainland pack), and a row is judged
-- only with limits of its own jurisdiction: where none are loaded it is never judged with another's.
-- Reference data arrives as packs (a folder of CSVs with a pack.yaml, see
-- agritrace/reference/data/README.md); each load that changes something is recorded, and a limit
-- whose figure changes keeps its earlier version in ref.limits_history. Test categories (农药残留,
-- 食品微生物, 标签 …) are what a verdict-only row may name instead of an analyte.

-- standards: jurisdiction -------------------------------------------------------------------
alter table ref.standards add column jurisdiction text not null default 'CN';
comment on column ref.standards.jurisdiction is
    'Jurisdiction whose law the standard is (CN: mainland China). A row is judged only with standards of its own jurisdiction.';
drop index ref.standards_one_default_idx;
-- one default MRL standard per analyte kind in each jurisdiction
create unique index standards_one_default_idx on ref.standards (jurisdiction, analyte_kind) where is_default;

-- test categories ---------------------------------------------------------------------------
create table ref.test_categories (
    code          text primary key,
    name_zh       text not null,
    name_en       text,
    -- the kind of analyte whose items belong to the category (pesticide residues: pesticide); null
    -- for categories no analyte belongs to (labelling, hygiene practice, microbiology)
    analyte_kind  text unique check (analyte_kind in ('pesticide', 'veterinary_drug', 'contaminant'))
);
comment on table ref.test_categories is
    'Test categories and panels (pesticide residues, veterinary drug residues, microbiology, labelling, hygiene practice …). A verdict-only row may name one instead of an analyte; every analyte belongs to the category of its kind.';
comment on column ref.test_categories.code is 'Category code, e.g. pesticide_residues; stored as the analyte_code of a category-level item.';
comment on column ref.test_categories.name_zh is 'Chinese name, e.g. 农药残留.';
comment on column ref.test_categories.name_en is 'English name.';
comment on column ref.test_categories.analyte_kind is 'The analyte kind whose items fall in this category; empty when none do.';

create table ref.test_category_aliases (
    alias          text primary key,
    category_code  text not null references ref.test_categories,
    lang           text,
    added_at       timestamptz not null default now()
);
comment on table ref.test_category_aliases is 'Other names of a test category (traditional, English, a platform''s own word).';
comment on column ref.test_category_aliases.alias is 'The name as written; matched after NFKC, case, bracket and traditional-to-simplified folding.';
comment on column ref.test_category_aliases.category_code is 'The category it means.';
comment on column ref.test_category_aliases.lang is 'zh-Hans | zh-Hant | en | other (informative).';
comment on column ref.test_category_aliases.added_at is 'When the alias was added.';

-- packs and limit versions ------------------------------------------------------------------
create table ref.pack_loads (
    load_id       bigint generated always as identity primary key,
    jurisdiction  text not null,
    pack_name     text not null,
    pack_version  text not null,
    checksum      text not null,
    inserted      integer not null,
    updated       integer not null,
    loaded_at     timestamptz not null default now()
);
comment on table ref.pack_loads is
    'Each load of a reference pack that changed something (a load that changes nothing is not recorded).';
comment on column ref.pack_loads.load_id is 'Load number; ref.limits.loaded_by and ref.limits_history.superseded_by name it.';
comment on column ref.pack_loads.jurisdiction is 'Jurisdiction of the pack (pack.yaml).';
comment on column ref.pack_loads.pack_name is 'Name of the pack (pack.yaml).';
comment on column ref.pack_loads.pack_version is 'Version of the pack (pack.yaml).';
comment on column ref.pack_loads.checksum is 'SHA-256 over the pack''s files as loaded.';
comment on column ref.pack_loads.inserted is 'Rows the load added, over all tables.';
comment on column ref.pack_loads.updated is 'Rows the load changed, over all tables.';
comment on column ref.pack_loads.loaded_at is 'When the pack was loaded.';

alter table ref.limits add column loaded_by bigint references ref.pack_loads;
comment on column ref.limits.loaded_by is 'The pack load that set this version of the row (empty: before packs were recorded, or added by hand).';

create table ref.limits_history (like ref.limits);
alter table ref.limits_history
    add column superseded_at timestamptz not null default now(),
    add column superseded_by bigint references ref.pack_loads;
create index limits_history_key_idx on ref.limits_history (standard, analyte_code, level, product_level_code);
comment on table ref.limits_history is
    'Earlier versions of ref.limits rows: a pack load that changes a figure (or its provenance) moves the version it replaces here, so no figure is overwritten silently.';
comment on column ref.limits_history.superseded_at is 'When this version was replaced.';
comment on column ref.limits_history.superseded_by is 'The pack load that replaced it.';

-- results: jurisdiction and the not-judged basis ---------------------------------------------
alter table core.inspection_results add column jurisdiction text not null default 'CN';
alter table core.inspection_results_history add column jurisdiction text not null default 'CN';
comment on column core.inspection_results.jurisdiction is
    'Jurisdiction whose limits the item is judged by (the row''s or its profile''s, else the bureau''s own setting). Rows loaded before jurisdictions were recorded were judged with mainland (CN) limits.';
comment on column core.inspection_results_history.jurisdiction is 'As core.inspection_results.jurisdiction, for the version set aside.';

alter table core.inspection_results drop constraint inspection_results_verdict_basis_check;
alter table core.inspection_results add constraint inspection_results_verdict_basis_check
    check (verdict_basis in ('computed', 'supplied', 'not_judged'));
alter table core.inspection_results_history drop constraint inspection_results_history_verdict_basis_check;
alter table core.inspection_results_history add constraint inspection_results_history_verdict_basis_check
    check (verdict_basis in ('computed', 'supplied', 'not_judged'));
comment on column core.inspection_results.verdict_basis is
    'computed: judged against the limit from the value | supplied: no value was reported, so the verdict supplied on '
    'the row is the verdict of record (it counts in pass rates) | not_judged: a value and no supplied verdict, but '
    'no limits of the row''s jurisdiction are loaded, so the item is inconclusive (never judged with another '
    'jurisdiction''s limits; verdict_reason says "not judged: no limits loaded for X").';

-- batches: the category as the source writes it ----------------------------------------------
alter table core.sampling_batches add column source_category text;
alter table core.sampling_batches_history add column source_category text;
comment on column core.sampling_batches.source_category is
    'The product category as the source writes it (e.g. 蔬菜-->叶菜类), kept even when the product is not in the reference.';
comment on column core.sampling_batches_history.source_category is 'As core.sampling_batches.source_category, for the version set aside.';
