-- mart.certificate_issuance: compliance certificates (承诺达标合格证) issued per month,
-- producer and product category.
--
-- Grain: one row per month × producer × product category. Town and region are the producer's.
-- A certificate may state several commitment bases, so the three basis columns can add up to
-- more than certificates.
-- Personal data: phone and ID numbers in the producer's name or town (a household named with its
-- phone, a row whose values shifted) are masked by ops.mask_personal.
-- A view over summary.certificates_daily, with the producer's current attributes read from core.
create view mart.certificate_issuance as

with

monthly as (

    select
        date_trunc('month', issue_date)::date as month,
        producer_id,
        product_category,
        sum(certificates)::bigint as certificates,
        sum(quantity_kg) as quantity_kg,
        sum(certificates_counted_units)::bigint as certificates_counted_units,
        sum(certificates_quality_control)::bigint as certificates_quality_control,
        sum(certificates_self_test)::bigint as certificates_self_test,
        sum(certificates_commissioned_test)::bigint as certificates_commissioned_test

    from summary.certificates_daily
    group by 1, 2, 3

),

final as (

    select
        -- keys
        m.month,
        m.producer_id,
        m.product_category,
        -- producer
        ops.mask_personal(p.producer_name) as producer_name,
        p.producer_type,
        p.region_code,
        coalesce(ops.mask_personal(p.town), 'unknown') as town,
        -- measures
        m.certificates,
        m.quantity_kg,
        m.certificates_counted_units,
        m.certificates_quality_control,
        m.certificates_self_test,
        m.certificates_commissioned_test

    from monthly as m
    inner join core.producers as p using (producer_id)

)

select * from final;

comment on view mart.certificate_issuance is
    'Compliance certificates (承诺达标合格证) issued per month, producer and product category, with quantities and the split by commitment basis. Sum rows freely: each certificate is in exactly one row.';
comment on column mart.certificate_issuance.month is
    'First day of the calendar month of the issue date.';
comment on column mart.certificate_issuance.producer_id is
    'Issuing producer: unified social credit code or household registry code.';
comment on column mart.certificate_issuance.product_category is
    'vegetables | fruits | tea | livestock | eggs | aquatic; ''unknown'' when not classified.';
comment on column mart.certificate_issuance.producer_name is
    'Producer name (主体名称). Phone and ID numbers in it are masked (ops.mask_personal).';
comment on column mart.certificate_issuance.producer_type is
    'enterprise | cooperative | family_farm | household.';
comment on column mart.certificate_issuance.region_code is
    'Producer''s 6-digit county code.';
comment on column mart.certificate_issuance.town is
    'Producer''s town (乡镇/街道); ''unknown'' when not registered. Phone and ID numbers in it are masked (ops.mask_personal).';
comment on column mart.certificate_issuance.certificates is
    'Certificates issued.';
comment on column mart.certificate_issuance.quantity_kg is
    'Total certified quantity in kg, over certificates whose unit is a weight (斤 and t converted); certificates in counted units (头, 只, 箱 …) add nothing here.';
comment on column mart.certificate_issuance.certificates_counted_units is
    'Certificates whose quantity is in a counted unit (头, 只, 箱 …) and so has no kg.';
comment on column mart.certificate_issuance.certificates_quality_control is
    'Certificates stating the basis quality_control (质量安全控制符合要求).';
comment on column mart.certificate_issuance.certificates_self_test is
    'Certificates stating the basis self_test (自行检测合格).';
comment on column mart.certificate_issuance.certificates_commissioned_test is
    'Certificates stating the basis commissioned_test (委托检测合格).';
