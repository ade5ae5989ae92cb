"""Stream ids read as times and compared as Redis orders them (crisis/stream_ids.py)."""

from crisis.stream_ids import stream_id_parts, stream_id_seconds


def test_ids_compare_as_numbers_and_give_their_time() -> None:
    assert stream_id_parts("9-11") < stream_id_parts("10-2")  # as strings it would be the reverse
    assert stream_id_parts("10-2") < stream_id_parts("10-10")
    assert stream_id_seconds("1764806400000-3") == 1_764_806_400.0
    assert stream_id_seconds(b"1500-0") == 1.5
