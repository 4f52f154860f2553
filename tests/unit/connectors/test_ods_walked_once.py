"""An OpenDocument sheet's error cells and merges are read from one walk of its
content.xml, and a repeat count that is not a whole number is counted once."""

import xml.etree.ElementTree as ET
import zipfile

from capactif_demo.sim.workbook import write_ods
from connectors.mapping import Mapping
from connectors.ods_merges import ods_marks
from connectors.sheet_source import SheetSource

MAPPING = Mapping.from_dict({
    "version": 1, "identifiant": {"source": "N° dossier"},
    "champs": {"porteur.nom": {"source": "Nom"}, "projet.intitule": {"source": "Projet"},
               "projet.type": {"constante": "creation"}}})
_ODS = ('<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
        ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
        ' xmlns:calcext="urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0">'
        '<office:body><office:spreadsheet><table:table table:name="Suivi">{}</table:table>'
        "</office:spreadsheet></office:body></office:document-content>")


def test_a_libreoffice_sheet_is_walked_once_for_its_errors_and_merges(tmp_path, monkeypatch):
    path = write_ods(tmp_path / "suivi.ods", {"Suivi": [
        ["N° dossier", "Nom", "Projet"], ["1", "Martin", "Le Fournil"], ["2", "Roux", ""]]},
        merged={"Suivi": [(1, 2, 2)]})
    walks = []
    iterparse = ET.iterparse

    def counted(source, events=None):
        walks.append(source)
        return iterparse(source, events)

    monkeypatch.setattr(ET, "iterparse", counted)
    source = SheetSource(MAPPING, path)
    records = list(source.changes(None))
    assert [source.to_fiche(r)["projet"]["intitule"] for r in records] == ["Le Fournil"] * 2
    assert len(walks) == 1


def test_a_repeat_count_that_is_no_whole_number_counts_once(tmp_path):
    rows = ('<table:table-row table:number-rows-repeated="x"><table:table-cell/></table:table-row>'
            '<table:table-row><table:table-cell table:number-columns-repeated="deux"/>'
            '<table:table-cell table:number-rows-spanned="2"/>'
            '<table:table-cell calcext:value-type="error"><text:p>#N/A</text:p>'
            "</table:table-cell></table:table-row>")
    with zipfile.ZipFile(tmp_path / "suivi.ods", "w") as archive:
        archive.writestr("content.xml", _ODS.format(rows))
    assert ods_marks(tmp_path / "suivi.ods", "Suivi") == (
        {(1, 2): "#N/A"}, [((1, 1), (2, 1))])
