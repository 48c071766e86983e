-- Reference data: regions, products, analytes, standards and their limits.
-- Loaded (idempotently) from the CSV files shipped in agritrace/reference/data/ by
-- agritrace.reference.load_reference; operators may add aliases and limits here directly.
-- Banned substances are rows of ref.limits with kind = 'banned' (no separate table): one lookup
-- serves both, and a ban carries the same source / verified / effective_date as a limit.

create table ref.standards (
    -- keys
    code            text primary key,
    -- attributes
    title_zh        text not null,
    title_en        text,
    analyte_kind    text not null check (analyte_kind in ('pesticide', 'veterinary_drug', 'contaminant')),
    role            text not null check (role in ('mrl', 'ban')),
    is_default      boolean not null default false,
    -- dates
    effective_date  date,
    -- lineage
    source          text,
    check (role = 'mrl' or not is_default)
);
-- one default MRL standard per analyte kind
create unique index standards_one_default_idx on ref.standards (analyte_kind) where is_default;
comment on table ref.standards is
    'Standards and prohibition lists limits come from. A sample is judged by the MRL standard named on it, else the default for the analyte kind.';
comment on column ref.standards.code is 'Code as written on reports, e.g. GB 2763-2021; matched ignoring spaces, case and dash style.';
comment on column ref.standards.title_zh is 'Official Chinese title.';
comment on column ref.standards.title_en is 'English title.';
comment on column ref.standards.analyte_kind is 'Kind of analyte the standard sets limits for: pesticide | veterinary_drug | contaminant.';
comment on column ref.standards.role is 'mrl: a limit standard that can be named on a row; ban: a list of prohibited substances, applied whatever standard is named.';
comment on column ref.standards.is_default is 'The MRL standard used for this analyte kind when the row names none (or names one for another kind).';
comment on column ref.standards.effective_date is 'Date the standard took effect.';
comment on column ref.standards.source is 'Publisher / where the text is found.';

create table ref.regions (
    code         text primary key,
    name_zh      text not null,
    name_en      text,
    level        text not null check (level in ('province', 'city', 'county')),
    parent_code  text references ref.regions deferrable initially deferred
);
comment on table ref.regions is 'Administrative divisions (GB/T 2260 codes): Maoming and its county-level divisions.';
comment on column ref.regions.code is '6-digit administrative division code, e.g. 440902 茂南区.';
comment on column ref.regions.name_zh is 'Chinese name.';
comment on column ref.regions.name_en is 'English name.';
comment on column ref.regions.level is 'province | city | county (county-level: 区/县/县级市).';
comment on column ref.regions.parent_code is 'The division this one belongs to.';

create table ref.towns (
    region_code  text not null references ref.regions,
    name_zh      text not null,
    kind         text not null check (kind in ('town', 'township', 'subdistrict')),
    primary key (region_code, name_zh)
);
comment on table ref.towns is 'Towns and sub-districts (乡镇/街道) of a county, as producers'' town column names them.';
comment on column ref.towns.region_code is 'County-level division the town belongs to.';
comment on column ref.towns.name_zh is 'Chinese name, e.g. 金塘镇, 红旗街道.';
comment on column ref.towns.kind is 'town 镇 | township 乡 | subdistrict 街道.';

create table ref.product_categories (
    code     text primary key,
    name_zh  text not null,
    name_en  text
);
comment on table ref.product_categories is 'Top level of the product hierarchy; the certificates feed''s product_category vocabulary.';
comment on column ref.product_categories.code is 'vegetables | fruits | tea | livestock | eggs | aquatic.';
comment on column ref.product_categories.name_zh is 'Chinese name, e.g. 蔬菜.';
comment on column ref.product_categories.name_en is 'English name.';

create table ref.product_groups (
    code           text primary key,
    name_zh        text not null,
    name_en        text,
    category_code  text not null references ref.product_categories
);
comment on table ref.product_groups is 'Product groups as GB 2763 classifies foods (e.g. 豆类蔬菜): the middle level of limit lookups.';
comment on column ref.product_groups.code is 'Group code, e.g. legume_vegetables.';
comment on column ref.product_groups.name_zh is 'Chinese name as the standard writes it, e.g. 豆类蔬菜.';
comment on column ref.product_groups.name_en is 'English name.';
comment on column ref.product_groups.category_code is 'Category the group belongs to.';

create table ref.products (
    code        text primary key,
    name_zh     text not null,
    name_en     text,
    group_code  text not null references ref.product_groups
);
comment on table ref.products is 'Products the feeds name; resolved by name or alias, never guessed.';
comment on column ref.products.code is 'Product code, e.g. cowpea.';
comment on column ref.products.name_zh is 'Standard Chinese name, e.g. 豇豆.';
comment on column ref.products.name_en is 'English name.';
comment on column ref.products.group_code is 'GB 2763 product group, e.g. legume_vegetables (豆类蔬菜).';

create table ref.product_aliases (
    alias         text primary key,
    product_code  text not null references ref.products,
    lang          text,
    added_at      timestamptz not null default now()
);
comment on table ref.product_aliases is
    'Other names of a product (traditional, English, local). Add a row here to resolve a quarantined product name, then replay the quarantine.';
comment on column ref.product_aliases.alias is 'The name as written; matched after NFKC, case and bracket folding.';
comment on column ref.product_aliases.product_code is 'The product it means.';
comment on column ref.product_aliases.lang is 'zh-Hans | zh-Hant | en | other (informative).';
comment on column ref.product_aliases.added_at is 'When the alias was added.';

create table ref.analytes (
    code        text primary key,
    name_zh     text not null,
    name_en     text,
    kind        text not null check (kind in ('pesticide', 'veterinary_drug', 'contaminant')),
    cas_no      text,
    class_code  text references ref.analytes deferrable initially deferred
);
comment on table ref.analytes is 'Pesticides, veterinary drugs and contaminants that results name.';
comment on column ref.analytes.code is 'Analyte code, e.g. cyromazine.';
comment on column ref.analytes.name_zh is 'Standard Chinese name, e.g. 灭蝇胺.';
comment on column ref.analytes.name_en is 'English common name.';
comment on column ref.analytes.kind is 'pesticide | veterinary_drug | contaminant: picks the default standard.';
comment on column ref.analytes.cas_no is 'CAS registry number; empty for classes (磺胺类, 硝基呋喃类代谢物).';
comment on column ref.analytes.class_code is 'Class a rapid test reports on that this analyte belongs to; its lab result confirms a rapid positive for the class.';

create table ref.analyte_aliases (
    alias         text primary key,
    analyte_code  text not null references ref.analytes,
    lang          text,
    added_at      timestamptz not null default now()
);
comment on table ref.analyte_aliases is
    'Other names of an analyte (traditional, English, CAS-style, lab spellings). Add a row here to resolve a quarantined analyte, then replay the quarantine.';
comment on column ref.analyte_aliases.alias is 'The name as written; matched after NFKC, case and bracket folding.';
comment on column ref.analyte_aliases.analyte_code is 'The analyte it means.';
comment on column ref.analyte_aliases.lang is 'zh-Hans | zh-Hant | en | other (informative).';
comment on column ref.analyte_aliases.added_at is 'When the alias was added.';

create table ref.limits (
    -- keys
    standard            text not null references ref.standards,
    analyte_code        text not null references ref.analytes,
    level               text not null check (level in ('product', 'group', 'category')),
    product_level_code  text not null,
    -- measures
    kind                text not null check (kind in ('mrl', 'banned')),
    limit_value         numeric,
    unit                text,
    mg_per_kg           numeric,
    -- provenance
    source              text not null,
    verified            boolean not null default false,
    effective_date      date,
    note                text,
    primary key (standard, analyte_code, level, product_level_code),
    check (kind = 'banned' or (limit_value is not null and mg_per_kg is not null))
);
create index limits_lookup_idx on ref.limits (analyte_code, level, product_level_code);
comment on table ref.limits is
    'Maximum residue limits and bans. Looked up product → group → category within the sample''s standard; banned rows apply whatever the standard and are judged against the LOD.';
comment on column ref.limits.standard is 'Standard or prohibition list the row comes from (ref.standards.code).';
comment on column ref.limits.analyte_code is 'Analyte (ref.analytes.code).';
comment on column ref.limits.level is 'product | group | category: which level product_level_code names.';
comment on column ref.limits.product_level_code is 'ref.products / ref.product_groups / ref.product_categories code, per level.';
comment on column ref.limits.kind is 'mrl: a numeric maximum | banned: must not be detected (judged against the LOD).';
comment on column ref.limits.limit_value is 'Limit as published, in unit; empty for banned rows.';
comment on column ref.limits.unit is 'Unit as published (mg/kg, μg/kg).';
comment on column ref.limits.mg_per_kg is 'The limit in mg/kg, as judged.';
comment on column ref.limits.source is 'Standard and table / clause the figure comes from.';
comment on column ref.limits.verified is 'True only when the figure was checked against the published text; every verdict that uses an unverified figure says so.';
comment on column ref.limits.effective_date is 'Date the limit or ban took effect.';
comment on column ref.limits.note is 'Why a figure is unverified, or other remarks.';
