import pytest

# The contract suite lives outside test_*.py modules: let pytest explain its failed asserts.
pytest.register_assert_rewrite("tests.store.contract", "tests.store.contract_delivery")
