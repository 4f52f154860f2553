"""`capactif dedup` on the files people actually write: encodings, separators, headings in
their own words, FEBRL's columns, odd values, broken rows; every record read is in the
output once, every row not read is reported, and no message shows a value."""

from __future__ import annotations

import csv
import io

import pytest

from hub.cli import main
from hub.errors import ConfigurationError, InvalidCsvFile
from hub.services.matching.dedup_batch import read_people_csv, run_batch

COLUMNS = ["id", "nom", "nom_naissance", "prenom", "date_naissance", "courriel", "telephone",
           "adresse_ligne", "code_postal", "commune"]
PEOPLE = [
    ["1", "Lefèvre", "", "Élodie", "1980-05-12", "elo@free.fr", "06 12 34 56 78",
     "12 rue de la Paix", "01000", "Bourg-en-Bresse"],
    ["2", "LEFEVRE", "", "Elodie", "12/05/1980", "", "0612345678", "12 r. de la Paix", "1000",
     "Bourg en Bresse"],
    ["3", "Martin", "", "Jean", "1975-02-03", "", "+33 6 98 76 54 32",
     "3, chemin des Prés\nBâtiment B", "63000", "Riom"],
    ["4", "Dupont", "", "Anne", "1/2/75", "", "", "", "63000", "Riom"],
]


def _csv(rows, header=COLUMNS, delimiter=",", line_end="\r\n") -> str:
    text = io.StringIO()
    writer = csv.writer(text, delimiter=delimiter, lineterminator=line_end)
    writer.writerow(header)
    writer.writerows(rows)
    return text.getvalue()


def _by_id(path):
    return {record.id: record for record in read_people_csv(path)}


def _clusters(path):
    with path.open(encoding="utf-8", newline="") as result:
        return list(csv.DictReader(result))


def _dedup(tmp_path, capsys, *extra: str) -> tuple[int, str, str]:
    code = main(["dedup", "--input", str(tmp_path / "people.csv"),
                 "--output", str(tmp_path / "clusters.csv"), *extra])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16"])
def test_accents_are_read_in_every_encoding_a_spreadsheet_saves(tmp_path, encoding):
    source = tmp_path / "people.csv"
    source.write_bytes(_csv(PEOPLE).encode(encoding))
    records = _by_id(source)
    assert records["1"].nom == "LEFEVRE" and records["1"].prenom == "ELODIE"
    assert records["3"].adresse is not None and "PRES" in records["3"].adresse
    assert records["1"].code_postal == records["2"].code_postal == "01000"


def test_a_file_in_no_known_encoding_names_its_line_and_no_value(tmp_path, capsys):
    (tmp_path / "people.csv").write_bytes(
        "id,nom\n1,Lefèvre\n2,Pérès\n".encode() + b"3,Lef\xe8vre\n")
    code, _out, err = _dedup(tmp_path, capsys)
    assert code != 0 and "ligne 4" in err and "line 4" in err
    assert "Lef" not in err and "P" + "érès" not in err
    assert not (tmp_path / "clusters.csv").exists()


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_comma_semicolon_and_tab_separated_files_read_alike(tmp_path, delimiter):
    source = tmp_path / "people.csv"
    source.write_text(_csv(PEOPLE, delimiter=delimiter), encoding="utf-8", newline="")
    records = _by_id(source)
    assert sorted(records) == ["1", "2", "3", "4"]
    assert records["3"].telephone == "+33698765432" and records["3"].commune == "RIOM"


def test_headings_in_other_case_with_spaces_and_accents_are_recognised(tmp_path):
    source = tmp_path / "people.csv"
    header = ["ID", " Nom ", "Nom de naissance", "Prénom", "Date de naissance", "E-mail",
              "Téléphone", "Adresse", "Code postal", "Ville"]
    source.write_text(_csv(PEOPLE, header=header), encoding="utf-8")
    record = _by_id(source)["1"]
    assert (record.nom, record.prenom, record.courriel) == ("LEFEVRE", "ELODIE", "elo@free.fr")
    assert record.date_naissance is not None and record.commune == "BOURGENBRESSE"


def test_unknown_columns_are_ignored_and_said_once(tmp_path, capsys):
    rows = [[*row, "x", "y"] for row in PEOPLE]
    (tmp_path / "people.csv").write_text(_csv(rows, header=[*COLUMNS, "source", "pointure"]),
                                         encoding="utf-8")
    code, _out, err = _dedup(tmp_path, capsys)
    assert code == 0 and err.count("pointure") == 1 and "source" in err
    assert len(_clusters(tmp_path / "clusters.csv")) == 4


def test_a_missing_optional_column_is_read_as_empty(tmp_path):
    source = tmp_path / "people.csv"
    source.write_text(_csv([row[:4] for row in PEOPLE], header=COLUMNS[:4]), encoding="utf-8")
    assert _by_id(source)["1"].date_naissance is None


def test_a_missing_id_column_names_what_is_expected_and_the_closest_headings(tmp_path, capsys):
    header = ["ident", *COLUMNS[1:]]
    (tmp_path / "people.csv").write_text(_csv(PEOPLE, header=header), encoding="utf-8")
    code, _out, err = _dedup(tmp_path, capsys)
    assert code != 0 and "id" in err and "ident" in err and "ligne 1" in err
    assert not (tmp_path / "clusters.csv").exists()


def test_a_file_without_header_line_is_refused_without_showing_its_first_row(tmp_path, capsys):
    (tmp_path / "people.csv").write_text(_csv(PEOPLE[1:], header=PEOPLE[0]), encoding="utf-8")
    code, _out, err = _dedup(tmp_path, capsys)
    assert code != 0 and "ligne 1" in err
    assert not any(value in err.lower() for value in ("lef", "paix", "elo@", "bourg"))


def test_febrl_columns_written_by_pandas_read_as_the_bench_maps_them(tmp_path):
    from bench import _febrl

    header = ["rec_id", "given_name", "surname", "street_number", "address_1", "address_2",
              "suburb", "postcode", "state", "date_of_birth", "soc_sec_id"]
    row = ["rec-12-org", "lachlan", "berry", "69", "giblin street", "killarney", "bittern",
           "4814", "qld", "19990219", "7364009"]
    source = tmp_path / "people.csv"
    source.write_text(_csv([row], header=header), encoding="utf-8")
    from_file = read_people_csv(source)[0]
    mapped = _febrl.febrl_row("rec-12-org", dict(zip(header, row, strict=True)))
    ours = tmp_path / "ours.csv"
    ours.write_text(_csv([list(mapped.values())], header=list(mapped)), encoding="utf-8")
    assert from_file == read_people_csv(ours)[0]
    assert from_file.numero == "69" and from_file.date_naissance is not None
    assert from_file.adresse is not None and "KILLARNEY" in from_file.adresse


@pytest.mark.parametrize("heading", ["address_2", "Complément d'adresse", "adresse 2"])
def test_an_address_complement_is_read_after_the_street_line(tmp_path, heading):
    header = ["id", "nom", "prenom", "adresse", heading]
    source = tmp_path / "people.csv"
    source.write_text(_csv([["a", "Berry", "Lachlan", "69 giblin street", "killarney"],
                            ["b", "Berry", "Lachlan", "", "killarney"]], header=header),
                      encoding="utf-8")
    first, second = read_people_csv(source)[:2]
    assert first.numero == "69" and first.adresse is not None
    assert first.adresse.index("GIBLIN") < first.adresse.index("KILLARNEY")
    assert second.adresse is not None and "KILLARNEY" in second.adresse


def test_odd_values_are_read_or_treated_as_absent_with_a_warning_naming_lines(tmp_path, capsys):
    rows = [
        ["1", "Martin", "", "Jean", "19560409", "", "612345678", "", "4011.0", "Riom"],
        ["2", "Martin", "", "Jean", "31/02/1980", "", "NA", "-", "null", "Riom"],
        ["3", "  Petit  ", "", "N/A", "", "", "", "", "", ""],
        ["4", "nan", "", "Paul", "", "", "", "", "", ""],
    ]
    source = tmp_path / "people.csv"
    source.write_text(_csv(rows), encoding="utf-8")
    records = _by_id(source)
    assert records["1"].date_naissance is not None and records["1"].code_postal == "04011"
    assert records["2"].date_naissance is None and records["2"].telephone is None
    assert records["2"].adresse is None and records["2"].code_postal is None
    assert records["3"].nom == "PETIT" and records["3"].prenom is None
    assert records["4"].nom is None
    code, _out, err = _dedup(tmp_path, capsys)
    assert code == 0 and "date_naissance" in err and "lignes 3 /" in err
    assert "31/02" not in err and "Martin" not in err


def test_dates_compared_by_their_digits_are_counted_apart_from_those_taken_as_absent(
        tmp_path, capsys):
    rows = [
        ["1", "Martin", "", "Jean", "1980-13-05", "", "", "", "63000", "Riom"],
        ["2", "Martin", "", "Jean", "99/99/9999", "", "", "", "63000", "Riom"],
        ["3", "Martin", "", "Jean", "19801305", "", "", "", "63000", "Riom"],
    ]
    (tmp_path / "people.csv").write_text(_csv(rows), encoding="utf-8")
    code, _out, err = _dedup(tmp_path, capsys)
    assert code == 0
    assert "2 valeurs non lues comme date" in err and "comparées par leurs chiffres" in err
    assert "comparées par leurs chiffres, lignes 2, 4 /" in err
    assert "1 valeurs non lues comme date" in err and "traitées comme absentes, lignes 3 /" in err
    assert "1980-13" not in err and "9999" not in err


def test_broken_rows_are_reported_in_a_rejects_file_and_every_readable_id_is_output(
        tmp_path, capsys):
    text = _csv(PEOPLE) + "5,Petit,,Paul,,,,,63000,Riom,extra\r\n,Sans,,Id,,,,,,\r\n" \
        "1,Doublon,,Id,,,,,,\r\n\r\n;;;\r\n6,Court\r\n"
    (tmp_path / "people.csv").write_text(text, encoding="utf-8")
    code, _out, err = _dedup(tmp_path, capsys)
    out_ids = [row["id"] for row in _clusters(tmp_path / "clusters.csv")]
    assert code == 0 and sorted(out_ids) == ["1", "2", "3", "4", "5", "6"]
    with (tmp_path / "clusters.rejects.csv").open(encoding="utf-8") as rejects:
        rejected = list(csv.DictReader(rejects))
    assert [(row["ligne"], row["id"]) for row in rejected] == [("7", "5"), ("8", ""), ("9", "1")]
    assert "3 lignes non lues" in err and "clusters.rejects.csv" in err
    assert "Doublon" not in err and "Sans" not in err


@pytest.mark.parametrize("rows", [[], [PEOPLE[0]]])
def test_a_header_only_file_or_a_single_record_gives_each_record_its_own_cluster(
        tmp_path, capsys, rows):
    (tmp_path / "people.csv").write_text(_csv(rows), encoding="utf-8")
    code, _out, _err = _dedup(tmp_path, capsys)
    assert code == 0
    assert _clusters(tmp_path / "clusters.csv") == [{"id": r[0], "cluster_id": r[0]} for r in rows]


def test_two_different_people_and_nothing_alike_to_learn_from_are_two_clusters(tmp_path, capsys):
    rows = [["1", "Martin", "", "Jean", "1980-01-01", "", "", "", "63000", "Riom"],
            ["2", "Martin", "", "Paul", "1990-06-07", "", "", "", "63000", "Riom"]]
    (tmp_path / "people.csv").write_text(_csv(rows), encoding="utf-8")
    code, _out, _err = _dedup(tmp_path, capsys, "--model-out", str(tmp_path / "model.json"))
    assert code == 0 and {row["cluster_id"] for row in _clusters(tmp_path / "clusters.csv")} \
        == {"1", "2"}


def test_a_missing_input_file_is_a_clear_error(tmp_path, capsys):
    code, _out, err = _dedup(tmp_path, capsys)
    assert code != 0 and "people.csv" in err and "Traceback" not in err


def test_a_file_with_only_an_id_column_has_nothing_to_match_on(tmp_path):
    source = tmp_path / "people.csv"
    source.write_text("id,pointure\n1,42\n", encoding="utf-8")
    with pytest.raises(InvalidCsvFile) as error:
        run_batch(source, tmp_path / "out.csv")
    assert error.value.line == 1 and "nom" in error.value.message_fr


def test_spreadsheet_writings_of_dates_and_numbers_are_read(tmp_path):
    rows = [["1", "Martin", "", "Jean", "12/05/1980 00:00:00", "", '="0612345678"', "",
             '="01000"', "Riom"],
            ["2", "Martin", "", "Jean", "1980-05-12 00:00", "", "", "", "", "Riom"]]
    source = tmp_path / "people.csv"
    source.write_text(_csv(rows), encoding="utf-8")
    records = _by_id(source)
    assert records["1"].date_naissance == records["2"].date_naissance is not None
    assert (records["1"].telephone, records["1"].code_postal) == ("+33612345678", "01000")


def test_an_unnamed_first_column_as_pandas_writes_its_index_is_the_id(tmp_path):
    source = tmp_path / "people.csv"
    source.write_text(_csv(PEOPLE, header=["", *COLUMNS[1:]]), encoding="utf-8")
    summary = run_batch(source, tmp_path / "clusters.csv")
    assert summary.records == 4 and any("id" in note for note in summary.notes)


def test_short_rows_are_read_with_their_missing_values_empty_and_said(tmp_path):
    source = tmp_path / "people.csv"
    source.write_text("id,nom,prenom,date_naissance\n1,Martin,Jean\n2,Martin,Jean,1980-01-01\n",
                      encoding="utf-8")
    summary = run_batch(source, tmp_path / "clusters.csv")
    assert summary.records == 2 and any("2" in note and "line" in note for note in summary.notes)


def test_a_quoted_record_over_several_lines_is_rejected_by_its_first_line(tmp_path):
    source = tmp_path / "people.csv"
    source.write_text('id,nom,adresse_ligne\n1,Martin,"3 rue\nBât B"\n2,Petit,"4 rue\nBât C",x\n',
                      encoding="utf-8")
    summary = run_batch(source, tmp_path / "clusters.csv")
    assert summary.records == 2
    assert (tmp_path / "clusters.rejects.csv").read_text(encoding="utf-8").splitlines()[1:] == [
        "4,2,valeurs_en_trop"]


def test_an_output_that_is_a_folder_is_refused_before_any_work(tmp_path, capsys):
    (tmp_path / "people.csv").write_text(_csv(PEOPLE), encoding="utf-8")
    (tmp_path / "clusters.csv").mkdir()
    code, _out, err = _dedup(tmp_path, capsys)
    assert code != 0 and "Traceback" not in err


def test_a_byte_windows_1252_does_not_define_names_its_line(tmp_path):
    source = tmp_path / "people.csv"
    source.write_bytes(b"id,nom\n1,Lef\xe8vre\n2,Ma\x81rtin\n")
    with pytest.raises(InvalidCsvFile) as error:
        read_people_csv(source)
    assert error.value.line == 3 and "Ma" not in error.value.message_en


def test_two_columns_for_one_field_are_refused_naming_both(tmp_path):
    source = tmp_path / "people.csv"
    source.write_text("id,Nom,surname\n1,Martin,Martin\n", encoding="utf-8")
    with pytest.raises(InvalidCsvFile) as error:
        read_people_csv(source)
    assert "Nom" in error.value.message_en and "surname" in error.value.message_en


def test_an_output_folder_that_does_not_exist_is_refused_before_any_work(tmp_path):
    source = tmp_path / "people.csv"
    source.write_text(_csv(PEOPLE), encoding="utf-8")
    with pytest.raises(ConfigurationError):
        run_batch(source, tmp_path / "nowhere" / "clusters.csv")


def test_a_file_with_old_mac_line_ends_is_read(tmp_path):
    source = tmp_path / "people.csv"
    source.write_bytes(b"id;nom;prenom\r1;Martin;Jean\r2;Petit;Paul\r")
    assert sorted(_by_id(source)) == ["1", "2"]


def test_an_unclosed_quote_swallowing_the_next_records_names_its_line(tmp_path):
    lines = ["id,nom,prenom"] + [f"{n},Martin,Jean" for n in range(30)]
    lines[5] = '4,"Martin,Jean'
    source = tmp_path / "people.csv"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InvalidCsvFile) as error:
        read_people_csv(source)
    assert error.value.line == 6 and "Martin" not in error.value.message_en


def test_a_french_spreadsheet_export_gives_the_clusters_of_the_plain_file(tmp_path):
    """Windows-1252, semicolons, every field quoted, French headings, an extra column:
    the same people, the same clusters, as from the plain UTF-8 file."""
    people = []
    for n in range(40):
        surname = f"Lefèvre-{chr(97 + n % 26)}{chr(97 + n // 26)}"
        people.append([f"A{n}", surname, "", "Élodie", f"19{50 + n}-0{1 + n % 9}-1{n % 9}",
                       f"e{n}@free.fr", f"06{n:08d}", f"{n} rue des Prés", "01000", "Brénod"])
        people.append([f"B{n}", surname.upper(), "", "ELODIE",
                       f"1{n % 9}/0{1 + n % 9}/19{50 + n}", "", f"6{n:08d}", "", "1000", ""])
    plain, export = tmp_path / "plain.csv", tmp_path / "export.csv"
    plain.write_text(_csv(people), encoding="utf-8")
    text = io.StringIO()
    writer = csv.writer(text, delimiter=";", quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(["Identifiant", "Nom", "Nom de naissance", "Prénom", "Date de naissance",
                     "E-mail", "Téléphone", "Adresse", "Code postal", "Ville", "Structure"])
    writer.writerows([[*row, "PFIL"] for row in people])
    export.write_bytes(text.getvalue().encode("cp1252"))
    run_batch(plain, tmp_path / "plain_clusters.csv")
    run_batch(export, tmp_path / "export_clusters.csv")
    linked = _clusters(tmp_path / "plain_clusters.csv")
    assert _clusters(tmp_path / "export_clusters.csv") == linked
    assert sum(row["cluster_id"] != row["id"] for row in linked) >= 30
