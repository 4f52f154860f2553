"""Spreadsheet exports as French offices write them are read line by line, faults aside."""

import datetime as dt

import pytest

from capactif_demo.sim.spreadsheet import HEADER, write_export
from connectors.csv_source import CsvSource, detect_encoding
from connectors.errors import RecordRejected

HEADER_LINE = ";".join(HEADER)
ROW = ("2025-00001;DURAND;Léa;05/03/1984;06 12 34 56 78;lea.durand@orange.fr;"
       "3 rue du Pont;63600;Ambert;63003;Épicerie de village;Montage du projet;"
       "12 500,50;Local commercial, Financement;14/03/2025 10:30")


def mapped(source, record):
    return source.to_fiche(record)


def test_a_utf8_export_with_bom_is_read_with_accents_intact(tmp_path, commune_mapping):
    path = tmp_path / "export.csv"
    path.write_bytes(("\ufeff" + HEADER_LINE + "\r\n" + ROW + "\r\n").encode("utf-8"))
    source = CsvSource(commune_mapping, path)
    [record] = list(source.changes(None))
    fiche = source.to_fiche(record)
    assert source.detected_encoding == "utf-8-sig"
    assert fiche["porteur"]["prenom"] == "Léa"
    assert fiche["projet"]["stade"] == "montage"
    assert fiche["financement"]["besoin_total"] == 12500.5
    assert fiche["porteur"]["telephone"] == "0612345678"
    assert fiche["porteur"]["date_naissance"] == "1984-03-05"
    assert fiche["projet"]["besoins"] == ["local", "financement"]
    assert record.modified_at == dt.datetime(2025, 3, 14, 10, 30, tzinfo=record.modified_at.tzinfo)


def test_a_windows_1252_export_is_detected_and_read(tmp_path, commune_mapping):
    path = tmp_path / "export.csv"
    path.write_bytes((HEADER_LINE + "\r\n" + ROW + "\r\n").encode("cp1252"))
    source = CsvSource(commune_mapping, path)
    [record] = list(source.changes(None))
    assert source.detected_encoding == "cp1252"
    assert source.to_fiche(record)["projet"]["intitule"] == "Épicerie de village"


def test_encoding_detection_follows_the_accented_lines():
    assert detect_encoding("é;à\n".encode()) == "utf-8"
    assert detect_encoding("é;à\n".encode("cp1252")) == "cp1252"
    assert detect_encoding(b"\xef\xbb\xbfa;b\n") == "utf-8-sig"


def test_a_line_broken_in_the_files_encoding_is_rejected_alone(tmp_path, commune_mapping):
    good = ROW.encode("utf-8")
    broken = ROW.replace("2025-00001", "2025-00002").replace("Léa", "L\udce9a")
    data = (HEADER_LINE + "\n").encode() + good + b"\n" + broken.encode("utf-8",
                                                                        "surrogateescape")
    (tmp_path / "e.csv").write_bytes(data + b"\n" + good.replace(b"00001", b"00003") + b"\n")
    source = CsvSource(commune_mapping, tmp_path / "e.csv")
    records = list(source.changes(None))
    assert [r.problems[0].code if r.problems else None for r in records] == [
        None, "encodage_invalide", None]
    assert records[1].line == 3


def test_a_malformed_date_on_line_312_is_rejected_with_its_line_and_the_rest_go_through(
        tmp_path, commune_mapping):
    path = write_export(tmp_path / "export.csv", 400, bad_lines={312: "date"})
    source = CsvSource(commune_mapping, path)
    good, rejected = [], []
    for record in source.changes(None):
        try:
            good.append(source.to_fiche(record))
        except RecordRejected as exc:
            rejected.append((record.line, [(p.code, p.path, p.colonne) for p in exc.problems]))
    assert rejected == [(312, [("date_invalide", "$.porteur.date_naissance", "Né(e) le")])]
    assert len(good) == 399


def test_a_line_with_missing_cells_is_rejected_with_its_line(tmp_path, commune_mapping):
    path = write_export(tmp_path / "export.csv", 10, bad_lines={4: "cellules"})
    records = list(CsvSource(commune_mapping, path).changes(None))
    assert [(r.line, r.problems[0].code) for r in records if r.problems] == [
        (4, "cellules_decalees")]


def test_a_missing_column_is_reported_and_other_columns_still_map(tmp_path, commune_mapping):
    header = HEADER_LINE.replace(";Téléphone", "")
    row = ROW.replace(";06 12 34 56 78", "")
    (tmp_path / "e.csv").write_text(header + "\n" + row + "\n", encoding="utf-8")
    source = CsvSource(commune_mapping, tmp_path / "e.csv")
    [record] = list(source.changes(None))
    assert source.missing_columns() == ["Téléphone"]
    assert "telephone" not in source.to_fiche(record)["porteur"]


def test_quoted_cells_with_line_breaks_keep_row_numbers_as_the_spreadsheet_shows(
        tmp_path, commune_mapping):
    multi = ROW.replace("3 rue du Pont", '"3 rue du Pont\nBâtiment B"')
    second = ROW.replace("2025-00001", "2025-00002")
    (tmp_path / "e.csv").write_text(f"{HEADER_LINE}\n{multi}\n{second}\n", encoding="utf-8")
    records = list(CsvSource(commune_mapping, tmp_path / "e.csv").changes(None))
    assert [(r.key, r.line) for r in records] == [("2025-00001", 2), ("2025-00002", 3)]


def test_with_date_tracking_rows_modified_before_the_cursor_day_are_skipped_unless_refused(
        tmp_path, commune_mapping):
    old = ROW.replace("14/03/2025 10:30", "01/02/2025 09:00")
    new = ROW.replace("2025-00001", "2025-00002")
    (tmp_path / "e.csv").write_text(f"{HEADER_LINE}\n{old}\n{new}\n", encoding="utf-8")
    source = CsvSource(commune_mapping, tmp_path / "e.csv", mode="date_modification")
    since = dt.datetime(2025, 3, 14, 11, 0, tzinfo=dt.UTC)
    assert [r.key for r in source.changes(since)] == ["2025-00002"]
    source.retry_keys = {"2025-00001"}  # refused by the hub last time: read again
    assert [r.key for r in source.changes(since)] == ["2025-00001", "2025-00002"]
    assert source.deleted_keys({"2025-00001", "2025-00002", "2025-00009"}) == {"2025-00009"}


def test_by_default_every_row_is_read_and_the_fingerprint_decides(tmp_path, commune_mapping):
    old = ROW.replace("14/03/2025 10:30", "01/02/2025 09:00")
    (tmp_path / "e.csv").write_text(f"{HEADER_LINE}\n{old}\n", encoding="utf-8")
    source = CsvSource(commune_mapping, tmp_path / "e.csv")
    since = dt.datetime(2025, 3, 14, 11, 0, tzinfo=dt.UTC)
    assert [r.key for r in source.changes(since)] == ["2025-00001"]
    assert source.deleted_keys({"2025-00001", "2025-00009"}) == {"2025-00009"}


def test_without_a_modification_column_every_row_is_read_with_the_export_time(
        tmp_path, commune_mapping):
    path = write_export(tmp_path / "export.csv", 5)
    source = CsvSource(commune_mapping, path, mode="empreinte")
    since = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    assert len(list(source.changes(since))) == 5


@pytest.mark.parametrize(("text", "encodings"), [
    # capitals of a Windows-1252 export are not read as Mac Roman
    ("NOM;PRENOM;VILLE\nDUPONT;FRANÇOIS;CHÂTEAUROUX\nMARTIN;HÉLÈNE;ORLÉANS\n",
     ("cp1252", "mac_roman")),
    # curly quotes and a trademark stay Windows-1252
    ("NOM;NOTE\nDupont;Projet “Bio” ™ label\nMartin;Entreprise ”A” SAS\n", ("cp1252",)),
    # curly apostrophes inside words tell the encoding either way
    ("nom;note\nDupont;l’atelier d’Anne\n", ("cp1252", "mac_roman")),
    # lower-case French saved as Mac Roman is read as Mac Roman
    ("nom;ville\nDupont;Orléans\nMartin;Besançon\nLefèvre;Vénissieux\n",
     ("mac_roman", "cp1252")),
])
def test_a_single_byte_export_is_read_in_the_encoding_it_was_saved_in(text, encodings):
    for encoding in encodings:
        assert detect_encoding(text.encode(encoding)) == encoding


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_a_utf16_export_without_its_byte_order_mark_is_read_as_utf16(
        tmp_path, commune_mapping, encoding):
    """Some tools write UTF-16 without a BOM (SQL Server's bcp -w, a few exports): read as
    UTF-8, every other byte was NUL and the header 'lacked' every column."""
    text = HEADER_LINE + "\r\n" + ROW + "\r\n"
    assert detect_encoding(text.encode(encoding)) == encoding
    (tmp_path / "u.csv").write_bytes(text.encode(encoding))
    source = CsvSource(commune_mapping, tmp_path / "u.csv")
    [record] = list(source.changes(None))
    assert mapped(source, record)["porteur"]["prenom"] == "Léa"


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_a_short_utf16_export_of_odd_length_is_still_read_as_utf16(encoding):
    """A stray last byte (a file cut short, a newline added by another tool) made a short
    export's length odd: its sample was not looked at and it read as Windows-1252."""
    text = HEADER_LINE + "\r\n" + ROW + "\r\n"
    assert detect_encoding(text.encode(encoding) + b"\n") == encoding


# The last cell left empty (no modification date), as exports write a row not yet dated.
UNDATED = ROW.rsplit(";", 1)[0] + ";"


@pytest.mark.parametrize(("row", "found"), [
    (UNDATED.replace("3 rue du Pont", "3 rue du Pont; Bâtiment B"), 16),  # the extra cell empty
    (ROW.replace("3 rue du Pont", "3 rue du Pont; Bâtiment B"), 16),
    (ROW.replace("DURAND;", "DURAND;;").replace("Épicerie de village", "Épicerie; bar"), 17),
    (ROW.replace("Léa;", ""), 14),
], ids=["one-more-last-empty", "one-more", "two-more", "one-fewer"])
def test_a_row_whose_cells_are_shifted_is_refused_alone_and_never_mapped(
        tmp_path, commune_mapping, row, found):
    """An unquoted separator in a value (or a cell lost) shifts every cell after it: the
    row is refused with « cellules décalées », its row and both counts, and nothing of it
    is read into the columns it does not match (no error of a shifted column, no
    deletion flag); the rows around it go through."""
    other, row = ROW.replace("2025-00001", "2025-00003"), row.replace("2025-00001", "2025-00002")
    (tmp_path / "e.csv").write_text(f"{HEADER_LINE}\n{ROW}\n{row}\n{other}\n", encoding="utf-8")
    source = CsvSource(commune_mapping, tmp_path / "e.csv")
    records = list(source.changes(None))
    assert [r.line for r in records] == [2, 3, 4]
    assert [r.line for r in records if not r.problems] == [2, 4]
    [shifted] = [r for r in records if r.problems]
    assert not shifted.deleted
    with pytest.raises(RecordRejected) as refused:
        source.to_fiche(shifted)
    [problem] = refused.value.problems
    assert refused.value.partial is None
    assert problem.code == "cellules_decalees"
    assert "cellules décalées" in problem.message_fr.lower() and "ligne 3" in problem.message_fr
    assert f"{found} cellules" in problem.message_fr and "15 colonnes" in problem.message_fr
    assert "row 3" in problem.message_en and f"{found} cells" in problem.message_en
    for value in ("DURAND", "Bâtiment", "Pont", "Épicerie"):
        assert value not in problem.message_fr + problem.message_en
    assert [source.to_fiche(r)["porteur"]["nom"] for r in records if not r.problems] == [
        "Durand", "Durand"]
