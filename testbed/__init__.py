"""What the tests and the benchmarks both stand up, importable without pytest.

Provider stand-ins (`twilio`), nginx on loopback (`nginx`), loopback ports (`ports`) and the
site's sample data (`site_data`). It lives in the repository only (it is not installed with the
centre) and imports nothing from `tests/`, so `bench/` runs with the runtime dependencies alone.
"""
