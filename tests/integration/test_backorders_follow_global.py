"""Issue #8, item 1: options follow the global backorder setting unless the merchant
overrides one; seed 000's own steps give what the help page says; migration 0005."""

from __future__ import annotations

import re

from alembic import command
from sqlalchemy import text

from configurator.store.db import alembic_config, make_engine
from tests.integration.conftest import NO_FILE, Shop, add_to_cart, post_form, sign_in
from tests.integration.test_admin import item_id
from tests.integration.test_stock import (
    BIKE,
    Client,
    option,
    panel,
    save_option,
    saved,
)


def test_seed_000_steps_on_a_new_configurator_put_the_option_on_backorder(
    shop: Shop, client: Client
) -> None:
    sign_in(shop, client)
    created = post_form(
        client,
        "/admin/products",
        {"name": "Desk Lamp", "slug": "desk-lamp", "description": "", "base_price": "40.00"},
    )
    assert created.status_code == 303
    product = shop.product_id("desk-lamp")
    layer = item_id(
        post_form(
            client, f"/admin/products/{product}/layers", {"name": "Shade", "required": "on"}
        ).headers["location"]
    )
    linen = item_id(
        post_form(
            client,
            f"/admin/products/{product}/layers/{layer}/options",
            {"name": "Linen", "sku": "", "price_delta": "0"},
            files=NO_FILE,
        ).headers["location"]
    )

    # A new configurator: "No backorders" globally (Lightspeed's default), and new options
    # follow Global Settings.
    assert shop.scalar("SELECT backorders FROM product WHERE id = :i", i=product) == "no"
    assert shop.scalar("SELECT new_option_backorders FROM product WHERE id = :i", i=product) is None
    assert shop.scalar("SELECT backorders FROM option WHERE id = :i", i=linen) is None
    settings = client.get(f"/admin/products/{product}?panel=settings").text
    assert re.search(r'id="backorders-no" name="backorders" value="no"[^>]* checked', settings)
    assert '<option value="" selected>Use global setting</option>' in settings
    editor = client.get(f"/admin/products/{product}?panel=option&item={linen}").text
    assert '<option value="" selected>Use global setting (No backorders)' in editor

    # Step 2: Global Settings > Stock Management > Enable Backorder.
    saved(
        post_form(
            client,
            f"/admin/products/{product}/settings",
            {
                "stock_management": "on",
                "backorders": "notify",
                "out_of_stock_threshold": "0",
                "only_x_left_threshold": "0",
                "notify_below": "1",
                "new_option_backorders": "",
            },
        )
    )
    # Steps 3 and 4: the option's own Stock Management on, Stock Status Out of Stock; the
    # Backorders field is left as the form shows it.
    saved(
        post_form(
            client,
            f"/admin/products/{product}/options/{linen}",
            {
                "name": "Linen",
                "sku": "",
                "price_delta": "0.00",
                "stock_management": "on",
                "stock_status": "out_of_stock",
                "quantity": "0",
                "quantity_seen": "0",
                "backorders": "",
            },
            files=NO_FILE,
        )
    )

    editor = client.get(f"/admin/products/{product}?panel=option&item={linen}").text
    assert "Shoppers now see:\n      <strong>Available on Backorder</strong>" in editor
    assert "Allow backorders" not in editor.split("Shoppers now see:")[1].split("</p>")[0]
    # New products start as drafts: publish it, then shop.
    assert post_form(client, f"/admin/products/{product}/publish").status_code in {200, 303}
    page = client.get("/products/desk-lamp").text
    notice = re.search(r'<p class="notice notice-backorder">(.*?)</p>', page, re.S)
    assert notice
    assert " ".join(re.sub(r"<[^>]+>", "", notice.group(1)).split()).startswith(
        "Available on Backorder: Shade · Linen."
    )
    assert "Cannot be ordered" not in page
    added = add_to_cart(client, "desk-lamp", {layer: linen}, 1)
    assert added.status_code == 303
    assert "(Available Backorder)" in client.get("/cart").text


def test_demo_configurators_hand_new_options_the_global_setting(shop: Shop) -> None:
    assert shop.scalar("SELECT count(*) FROM product WHERE new_option_backorders IS NOT NULL") == 0
    # The one demo option that says "No backorders" does so on purpose.
    assert [
        tuple(r)
        for r in shop.engine.connect()
        .exec_driver_sql("SELECT name, backorders FROM option WHERE backorders IS NOT NULL")
        .all()
    ] == [("Honey Leather", "no")]


def test_an_option_that_overrides_the_global_setting_says_how_to_follow_it(
    shop: Shop, client: Client
) -> None:
    gravel = option(shop, "Wheels", "Gravel Tan")
    sign_in(shop, client)
    saved(save_option(client, shop, gravel, quantity="0", backorders="no"))

    html = panel(client, shop, gravel)

    assert (
        "This option&#39;s own Backorders setting is &#34;No backorders&#34;, so it does not "
        "follow Global Settings (&#34;Allow backorders and notify customer&#34;). Choose "
        "&#34;Use global setting&#34; to follow them."
    ) in html
    assert "Allow backorders to keep selling it" not in html
    settings = client.get(f"/admin/products/{shop.product_id(BIKE)}?panel=settings").text
    overrides = re.search(r'id="backorder-overrides">(.*?)</div>', settings, re.S)
    assert overrides
    listed = re.findall(r"<li><a [^>]*>([^<]*)</a>: ([^<]*)</li>", overrides.group(1))
    assert listed == [
        ("Gravel Tan (Wheels)", "No backorders"),
        ("Honey Leather (Saddle)", "No backorders"),
    ]


def test_migration_0005_gives_options_back_the_global_setting_only_where_provable(
    database_url: str,
) -> None:
    config = alembic_config(database_url)
    command.upgrade(config, "0004")
    engine = make_engine(database_url)
    untouched: dict[str, object] = {
        "stock_management": False,
        "stock_status": "in_stock",
        "track_inventory": False,
        "quantity": 0,
        "threshold": None,
    }
    options: dict[str, tuple[str, str | None, dict[str, object]]] = {
        # name: (product, own backorders, changes from an untouched Stock Management block)
        "old default, untouched": ("old-default", "no", {}),
        "old default, stock management on": ("old-default", "no", {"stock_management": True}),
        "old default, out of stock": ("old-default", "no", {"stock_status": "out_of_stock"}),
        "old default, tracked": ("old-default", "no", {"track_inventory": True}),
        "old default, quantity": ("old-default", "no", {"quantity": 3}),
        "old default, threshold": ("old-default", "no", {"threshold": 2}),
        "old default, had movements": ("old-default", "no", {}),
        "chose allow": ("old-default", "notify", {}),
        "already inherits": ("old-default", None, {}),
        "product follows global": ("follows-global", "no", {}),
    }
    with engine.begin() as connection:
        for slug, new_option_backorders in (("old-default", "no"), ("follows-global", None)):
            connection.execute(
                text(
                    "INSERT INTO product (name, slug, description, base_price_cents,"
                    " stock_management, backorders, out_of_stock_threshold,"
                    " only_x_left_threshold, notify_below, new_option_backorders,"
                    " allow_custom_backordering, created_at, updated_at)"
                    " VALUES (:slug, :slug, '', 1000, :on, 'notify', 0, 0, 1, :new, :off,"
                    " '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
                ),
                {"slug": slug, "on": True, "off": False, "new": new_option_backorders},
            )
            connection.execute(
                text(
                    "INSERT INTO layer (product_id, name, position, required)"
                    " SELECT id, 'Shade', 1, :on FROM product WHERE slug = :slug"
                ),
                {"slug": slug, "on": True},
            )
        for position, (name, (slug, backorders, changes)) in enumerate(options.items()):
            fields = {**untouched, **changes}
            connection.execute(
                text(
                    "INSERT INTO option (layer_id, name, sku, price_delta_cents, position,"
                    " stock_management, stock_status, track_inventory, quantity, backorders,"
                    " out_of_stock_threshold)"
                    " SELECT layer.id, :name, '', 0, :position, :stock_management,"
                    " :stock_status, :track_inventory, :quantity, :backorders, :threshold"
                    " FROM layer JOIN product ON product.id = layer.product_id"
                    " WHERE product.slug = :slug"
                ),
                {"name": name, "position": position, "backorders": backorders, "slug": slug}
                | fields,
            )
        connection.execute(
            text(
                "INSERT INTO stock_movement (option_id, option_name, sku, delta, quantity_after,"
                " reason, order_number, username, created_at)"
                " SELECT id, name, '', 0, 0, 'adjustment', '', 'admin', '2026-01-01 00:00:00'"
                " FROM option WHERE name = 'old default, had movements'"
            )
        )
        version = connection.execute(text("SELECT version FROM catalog_version")).scalar_one()
    engine.dispose()

    command.upgrade(config, "0005")

    engine = make_engine(database_url)
    with engine.connect() as connection:
        after: dict[str, str | None] = dict(
            connection.execute(text("SELECT name, backorders FROM option")).all()
        )
        new_layer_backorders: dict[str, str | None] = dict(
            connection.execute(text("SELECT slug, new_option_backorders FROM product")).all()
        )
        version_after = connection.execute(text("SELECT version FROM catalog_version")).scalar()
    engine.dispose()
    assert after == {
        "old default, untouched": None,
        "old default, stock management on": "no",
        "old default, out of stock": "no",
        "old default, tracked": "no",
        "old default, quantity": "no",
        "old default, threshold": "no",
        "old default, had movements": "no",
        "chose allow": "notify",
        "already inherits": None,
        "product follows global": "no",
    }
    # What "Backorders for new image layers" says is the merchant's to change.
    assert new_layer_backorders == {"old-default": "no", "follows-global": None}
    assert version_after == version + 1

    command.downgrade(config, "0004")
    command.upgrade(config, "head")
