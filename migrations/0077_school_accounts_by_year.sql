-- A school's accounts for one year, found by the index without reading the school's other years' accounts.
--
-- An area lead's schools page (/review/schools) sums the year's accounts of every school in the area: at national scale
-- 571 schools, 4,568 accounts of the year among their 13,704. By school alone, PostgreSQL read all 13,704 from 8,183
-- heap pages and dropped two thirds by year: 130–140 ms warm. By school and year it reads 4,568 from 2,868 pages:
-- 56–76 ms (docs/performance-reads.md, an area lead's reads). A school's own budget reads the same way for one school.
--
-- It replaces the index by school alone, which it serves as its first column (the journal search's accounts of a school or
-- an area), so an account update that is not HOT writes as many index entries as before.

CREATE INDEX account_school_year ON account (school_id, programme_year_id) WHERE school_id IS NOT NULL;

DROP INDEX account_school;
