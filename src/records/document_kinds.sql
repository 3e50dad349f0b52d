-- The kinds of shared EMR document (docs/records.md): the 53 parts of
-- WS/T 500-2016 (电子病历共享文档规范) shipped as rows, with a LOINC document
-- code where one is the FHIR DocumentReference.type; a region adds its own.
-- (Parts 1-11, 13, 23, 36, 50 and 53 were checked against the standard's
-- published foreword; the rest follow its table of contents as recalled.
-- Rows, not constants: a DBA corrects one, and the change survives a dump.)
CREATE TABLE healthhub.document_kinds (
    kind        text PRIMARY KEY CHECK (kind ~ '^[a-z][a-z0-9_]{0,39}$'),
    wst500_part smallint UNIQUE CHECK (wst500_part BETWEEN 1 AND 53),
    name_zh     text NOT NULL,
    name_en     text NOT NULL,
    loinc       text CHECK (loinc ~ '^[0-9]{1,7}-[0-9]$'),
    origin      text NOT NULL DEFAULT 'local' CHECK (origin IN ('shipped', 'changed', 'local'))
);
COMMENT ON TABLE healthhub.document_kinds IS
    'Kinds of shared EMR document: the WS/T 500 parts, and kinds a region adds';
SELECT pg_catalog.pg_extension_config_dump('healthhub.document_kinds', 'WHERE origin <> ''shipped''');
INSERT INTO healthhub.document_kinds (wst500_part, kind, name_zh, name_en, loinc, origin)
SELECT p, k, zh, en, l, 'shipped' FROM (VALUES
    (1, 'medical_record_summary', '病历概要', 'medical record summary', '60591-5'),
    (2, 'outpatient_record', '门(急)诊病历', 'outpatient and emergency record', '34108-1'),
    (3, 'emergency_observation_record', '急诊留观病历', 'emergency observation record', NULL),
    (4, 'western_medicine_prescription', '西药处方', 'western medicine prescription', '57833-6'),
    (5, 'chinese_medicine_prescription', '中药处方', 'traditional Chinese medicine prescription', '57833-6'),
    (6, 'exam_report', '检查报告', 'examination report', '18748-4'),
    (7, 'lab_report', '检验报告', 'laboratory report', '11502-2'),
    (8, 'treatment_record', '治疗记录', 'treatment record', NULL),
    (9, 'surgery_record', '一般手术记录', 'general surgery record', '11504-8'),
    (10, 'preanesthesia_visit', '麻醉术前访视记录', 'pre-anaesthesia visit record', NULL),
    (11, 'anesthesia_record', '麻醉记录', 'anaesthesia record', NULL),
    (12, 'postanesthesia_visit', '麻醉术后访视记录', 'post-anaesthesia visit record', NULL),
    (13, 'transfusion_record', '输血记录', 'transfusion record', NULL),
    (14, 'labor_record', '待产记录', 'labour record', NULL),
    (15, 'vaginal_delivery_record', '阴道分娩记录', 'vaginal delivery record', NULL),
    (16, 'cesarean_record', '剖宫产记录', 'caesarean section record', NULL),
    (17, 'nursing_record', '一般护理记录', 'general nursing record', NULL),
    (18, 'critical_nursing_record', '病重(病危)护理记录', 'critical care nursing record', NULL),
    (19, 'surgical_nursing_record', '手术护理记录', 'surgical nursing record', NULL),
    (20, 'vital_signs_record', '生命体征测量记录', 'vital signs record', NULL),
    (21, 'intake_output_record', '出入量记录', 'intake and output record', NULL),
    (22, 'high_value_consumables_record', '高值耗材使用记录', 'high-value consumables record', NULL),
    (23, 'admission_assessment', '入院评估', 'admission assessment', NULL),
    (24, 'nursing_plan', '护理计划', 'nursing plan', NULL),
    (25, 'discharge_assessment', '出院评估与指导', 'discharge assessment and guidance', NULL),
    (26, 'surgery_consent', '手术知情同意书', 'surgery informed consent', NULL),
    (27, 'anesthesia_consent', '麻醉知情同意书', 'anaesthesia informed consent', NULL),
    (28, 'transfusion_consent', '输血治疗同意书', 'transfusion consent', NULL),
    (29, 'special_procedure_consent', '特殊检查及特殊治疗同意书', 'special examination and treatment consent', NULL),
    (30, 'critical_condition_notice', '病危(重)通知书', 'critical condition notice', NULL),
    (31, 'other_consent', '其他知情告知同意书', 'other informed consent', NULL),
    (32, 'inpatient_front_page', '住院病案首页', 'inpatient medical record front page', NULL),
    (33, 'tcm_inpatient_front_page', '中医住院病案首页', 'TCM inpatient medical record front page', NULL),
    (34, 'admission_record', '入院记录', 'admission record', '34117-2'),
    (35, 'admission_discharge_24h', '24小时内入出院记录', 'admission and discharge within 24 hours', NULL),
    (36, 'admission_death_24h', '24小时内入院死亡记录', 'admission and death within 24 hours', NULL),
    (37, 'first_progress_note', '住院病程记录 首次病程记录', 'first progress note', '11506-3'),
    (38, 'daily_progress_note', '住院病程记录 日常病程记录', 'daily progress note', '11506-3'),
    (39, 'senior_rounds_note', '住院病程记录 上级医师查房记录', 'senior physician rounds note', NULL),
    (40, 'difficult_case_discussion', '住院病程记录 疑难病例讨论记录', 'difficult case discussion', NULL),
    (41, 'handover_note', '住院病程记录 交接班记录', 'handover note', NULL),
    (42, 'transfer_note', '住院病程记录 转科记录', 'transfer note', NULL),
    (43, 'stage_summary', '住院病程记录 阶段小结', 'stage summary', NULL),
    (44, 'rescue_record', '住院病程记录 抢救记录', 'rescue record', NULL),
    (45, 'consultation_note', '住院病程记录 会诊记录', 'consultation note', '11488-4'),
    (46, 'preoperative_summary', '住院病程记录 术前小结', 'pre-operative summary', NULL),
    (47, 'preoperative_discussion', '住院病程记录 术前讨论', 'pre-operative discussion', NULL),
    (48, 'first_postoperative_note', '住院病程记录 术后首次病程记录', 'first post-operative note', NULL),
    (49, 'discharge_record', '住院病程记录 出院记录', 'discharge record', NULL),
    (50, 'death_record', '住院病程记录 死亡记录', 'death record', NULL),
    (51, 'death_case_discussion', '住院病程记录 死亡病例讨论记录', 'death case discussion', NULL),
    (52, 'inpatient_orders', '住院医嘱', 'inpatient orders', NULL),
    (53, 'discharge_summary', '出院小结', 'discharge summary', '18842-5')
) AS d(p, k, zh, en, l);
GRANT SELECT ON healthhub.document_kinds TO PUBLIC;
CREATE TRIGGER shipped_row_changed BEFORE INSERT OR UPDATE OR DELETE ON healthhub.document_kinds
    FOR EACH ROW EXECUTE FUNCTION healthhub.shipped_row_changed('kind');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.document_kinds
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('document_kind', 'kind', 'records policy');
