"""The browser kit's form reader (e2e/pages/forms.py): what a form would send as the page shows
it, as a browser decides it."""

from __future__ import annotations

from e2e.pages.forms import _Choices, forms_of

PAGE = """
<input type="hidden" name="view" value="1" form="configure-form">
<form id="configure-form" method="post" action="/cart/items">
  <input type="hidden" name="_csrf_token" value="t&amp;1">
  <fieldset><legend>Wheels</legend>
    <label><input type="radio" name="layer-2" value="2" checked>
      <span class="option-name">Road Classic</span></label>
    <label><input type="radio" name="layer-2" value="3" disabled>
      <span class="option-name">Carbon Deep</span></label>
  </fieldset>
  <fieldset><legend>Accessory <span class="optional">(optional)</span></legend>
    <label><input type="radio" name="layer-6" value="none" checked>
      <span class="option-name">None</span></label>
    <label><input type="radio" name="layer-6" value="13">
      <span class="option-name">Bottle Cage</span></label>
  </fieldset>
  <input type="checkbox" name="track" checked>
  <input type="checkbox" name="off" value="yes">
  <select name="status"><option value="in_stock">In Stock</option>
    <option value="out_of_stock">Out of Stock</option></select>
  <select name="unnamed"><option>First</option><option selected>Second</option></select>
  <textarea name="message">[qty] left</textarea>
  <input type="text" name="locked" value="x" disabled>
  <button type="submit" name="go" value="1">Save</button>
</form>
<form action="/other"><input name="q" value="other"></form>
"""


def test_a_form_sends_what_its_page_shows() -> None:
    form = next(form for form in forms_of(PAGE) if form.action == "/cart/items")
    assert form.fields == {
        "view": "1",  # a field placed before its form (form="configure-form")
        "_csrf_token": "t&1",
        "layer-2": "2",
        "layer-6": "none",
        "track": "on",  # a ticked checkbox without a value sends "on"
        "status": "in_stock",  # no option selected: the first
        "unnamed": "Second",  # an option without a value sends its text
        "message": "[qty] left",
    }  # no "off" (clear), no "locked" (disabled), no button


def test_a_form_knows_what_a_person_could_pick() -> None:
    form = next(form for form in forms_of(PAGE) if form.action == "/cart/items")
    assert form.offered["layer-2"] == {"2"}  # a disabled option cannot be picked
    assert form.offered["off"] == {"yes"}
    assert form.offered["status"] == {"in_stock", "out_of_stock"}
    assert form.offered["message"] is None
    assert "locked" not in form.offered


def test_a_product_page_names_its_choices_by_layer_and_option() -> None:
    parser = _Choices()
    parser.feed(PAGE)
    assert parser.found[("Wheels", "Carbon Deep")] == ("layer-2", "3")
    assert parser.found[("Accessory", "Bottle Cage")] == ("layer-6", "13")
