-- An allocation of the same amount to each school ({"each": …}) is recorded as method 'each'; it was recorded as
-- 'split' (one total shared), which the CHECK of 0003 allowed and 'each' did not. Allocations recorded before this
-- migration keep 'split': their rows do not say which of the two they were.

ALTER TABLE allocation
    DROP CONSTRAINT allocation_method_check,
    ADD CONSTRAINT allocation_method CHECK (method IN ('explicit', 'split', 'each'));
