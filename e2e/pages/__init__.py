"""Page objects for the browser flows, in the shopper's and the merchant's words.

    configurator = Configurator.open(page, "aero-road-bike")
    configurator.choose("Wheels", "Carbon Deep")
    cart = configurator.add_to_cart_and_open_cart()
    assert cart.line("Aero Road Bike").label == "(Available Backorder)"

    editor = Admin.sign_in(page).product("Aero Road Bike")
    editor.option("Honey Leather").stock_management(status="Out of Stock")
    editor.global_settings(backorders="Allow backorders and notify customer")

Only roles, labels and visible text: no CSS selectors, so a restyled page keeps its flows.
What a flow only needs done (a product of its own, an order to fulfil) it can arrange through
the shop's forms without pages: e2e/pages/forms.py."""

from e2e.pages.admin import Admin, Editor, Inventory, OptionPanel
from e2e.pages.money import fmt, money
from e2e.pages.shop import (
    BackorderQuestion,
    Cart,
    CartLine,
    Checkout,
    Configurator,
    Confirmation,
    buy,
)

__all__ = [
    "Admin",
    "BackorderQuestion",
    "Cart",
    "CartLine",
    "Checkout",
    "Configurator",
    "Confirmation",
    "Editor",
    "Inventory",
    "OptionPanel",
    "buy",
    "fmt",
    "money",
]
