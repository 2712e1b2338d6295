-- Search index, second shape (existing rows get NULL here until `caremesh.fhir.reindex` runs):
-- * an Identifier's type coding on its token row, for `identifier:of-type=system|code|value`;
-- * composites whose first component is a reference (DocumentReference `relationship`) keep its
--   url in c1_text, and three-part composites (MolecularSequence `*-coordinate`) keep the third
--   component, a number, in c3_low/c3_high.
ALTER TABLE fhir_sp_token ADD COLUMN type_system TEXT;
ALTER TABLE fhir_sp_token ADD COLUMN type_code TEXT;
ALTER TABLE fhir_sp_composite ADD COLUMN c1_text TEXT;
ALTER TABLE fhir_sp_composite ADD COLUMN c3_low NUMERIC;
ALTER TABLE fhir_sp_composite ADD COLUMN c3_high NUMERIC;
