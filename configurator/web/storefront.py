"""Storefront: the product list, the configurator page and its htmx fragment, images."""

from __future__ import annotations

import gzip
from collections.abc import Mapping
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, NamedTuple

from litestar import Controller, Request, Response, post
from litestar.concurrency import sync_to_thread
from litestar.enums import MediaType
from litestar.exceptions import ClientException, NotFoundException, PermissionDeniedException
from litestar.params import FromPath
from litestar.response import Redirect, Template
from sqlalchemy import Engine
from sqlmodel import Session

from configurator.core.composition import (
    RECORDED_IMAGES_PARAM,
    SIGNATURE_PARAM,
    SIZE_PARAM,
    VERSION_PARAM,
    VIEW_PARAM,
    CompositionError,
    composition_key,
    is_current_version,
    is_signed_picture,
    layer_images,
    parse_recorded_images,
    parse_size,
    parse_view,
)
from configurator.core.configuration import (
    MAIN_VIEW,
    ConfiguratorSpec,
    QuantityError,
    Selection,
    SelectionError,
    ViewSpec,
    availability_notices,
    cheapest_price,
    nearest_build,
    parse_quantity,
    parse_selection,
    selection_to_pairs,
)
from configurator.core.mails import BACK_IN_STOCK_ASKED, back_in_stock_choices
from configurator.core.urls import query_string
from configurator.services import accounts
from configurator.services.catalog import (
    cached_spec_by_slug,
    get_image,
    list_products,
    spec_by_id,
    spec_by_slug,
    stock_of,
)
from configurator.services.composer import compose, picture_key, stored_images, swatch
from configurator.store.cache import (
    ProductVersion,
    StockStamp,
    Version,
    VersionedCache,
    read_product_versions,
)
from configurator.store.db import new_session
from configurator.web.common import (
    ADMIN_COOKIE,
    DB,
    VARY,
    FormData,
    clean_key,
    get,
    is_htmx,
    path_id,
    render,
    see_other,
)

FRAGMENT = "storefront/_configuration_update.html"


NO_COMPRESSION = "compressed_in_handler"


@dataclass(frozen=True, slots=True)
class RenderedFragment:
    status: int
    html: bytes
    gzipped: bytes
    url: str
    shared: bool = True
    """The same for everyone (a published product), so it may be cached; a draft's fragment
    is for the signed-in merchant only and never kept."""

    def body_and_headers(self, *, gzip: bool) -> tuple[bytes, dict[str, str]]:
        """What to send: the app's handler and the microcache in front answer alike."""
        headers = {**VARY, "HX-Push-Url": self.url}
        if not gzip:
            return self.html, headers
        headers |= {"Content-Encoding": "gzip", "Vary": VARY["Vary"] + ", Accept-Encoding"}
        return self.gzipped, headers


def _load_spec(request: Request[Any, Any, Any], engine: Engine, slug: str) -> ConfiguratorSpec:
    with new_session(engine) as db:
        return viewable_spec_or_404(request, db, slug)


def _render_fragment(
    request: Request[Any, Any, Any], spec: ConfiguratorSpec, choices: ShopperChoices
) -> RenderedFragment:
    context, status = configurator_context(spec, {}, choices)
    templates = request.app.template_engine
    assert templates is not None
    html = templates.get_template(FRAGMENT).render(**context).encode()
    return RenderedFragment(
        status, html, gzip.compress(html, 6), context["share_url"], shared=spec.published
    )


async def current_versions(engine: Engine, slug: str) -> tuple[Version, ProductVersion]:
    """The catalog version and this one product's own version and stock, in one small read.
    SQLite answers from the local file in microseconds and never blocks a reader (WAL), so it
    is asked right here; a database server is asked from a thread."""
    if engine.dialect.name == "sqlite":
        return read_product_versions(engine, slug)
    return await sync_to_thread(read_product_versions, engine, slug)


_FRAGMENTS = VersionedCache(size=2048, name="fragments")
FragmentKey = tuple[int, int, StockStamp, tuple[tuple[int, int | None], ...], str, int, int]


def fragment_key(
    spec: ConfiguratorSpec, product: ProductVersion, choices: ShopperChoices
) -> FragmentKey:
    """What makes two option-change requests the same answer: the product as the merchant
    last saved it (its version), its stock (the quantities the fragment was rendered with)
    and the choices, quantity and view as read from the request. A sale or an edit makes new keys
    for that product only. Nothing else a request carries (another parameter, a spelling of
    the same id) makes a new entry."""
    selection, error, quantity, view = choices
    chosen = tuple(sorted(selection.items(), key=itemgetter(0)))
    return (spec.product_id, product.version, stock_of(spec), chosen, error, quantity, view)


FRONT_LOOKUP = "fragment_front"
"""The key in the ASGI scope's state under which the layer in front hands the app what it
read for a request it could not answer from memory (see `FrontLookup`)."""


class FrontLookup(NamedTuple):
    slug: str
    found: tuple[Version, ProductVersion, ConfiguratorSpec | None, ShopperChoices | None]


def cached_fragment(version: Version, key: FragmentKey) -> RenderedFragment | None:
    found: RenderedFragment | None = _FRAGMENTS.peek(version, key)
    return found


def published_in_memory(engine: Engine, slug: str) -> ConfiguratorSpec | None:
    """A published configurator this worker already holds for the versions and stock the
    database has now: one small read outside any transaction, as the option change does
    (`current_versions`). None sends the caller to the session (a first visit, a draft)."""
    key = clean_key(slug, 80)
    version, product = read_product_versions(engine, key)
    spec = cached_spec_by_slug(version, key, product)
    return spec if spec is not None and spec.published else None


def product_url(slug: str, query: list[tuple[str, str]] | None = None) -> str:
    base = f"/products/{slug}"
    return f"{base}?{query_string(query)}" if query else base


NOT_FOUND = "We could not find that product. It may no longer be sold."


def spec_or_404(db: Session, slug: str) -> ConfiguratorSpec:
    """A product shoppers may see and buy: published. A draft is not found, like no product."""
    spec = spec_by_slug(db, clean_key(slug, 80))
    if spec is None or not spec.published:
        raise NotFoundException(NOT_FOUND)
    return spec


def merchant_signed_in(request: Request[Any, Any, Any], db: Session) -> bool:
    return accounts.user_for_session(db, request.cookies.get(ADMIN_COOKIE)) is not None


def viewable_spec_or_404(
    request: Request[Any, Any, Any], db: Session, slug: str
) -> ConfiguratorSpec:
    """A product to show: published, or a draft that the signed-in merchant previews (the
    session is looked up only for a draft, so shoppers' pages cost no extra query)."""
    spec = spec_by_slug(db, clean_key(slug, 80))
    if spec is None or not (spec.published or merchant_signed_in(request, db)):
        raise NotFoundException(NOT_FOUND)
    return spec


def _with_quantity(pairs: list[tuple[str, str]], quantity: int) -> list[tuple[str, str]]:
    """A shared link keeps the quantity (1 goes without saying)."""
    return [*pairs, ("quantity", str(quantity))] if quantity != 1 else pairs


class ShopperChoices(NamedTuple):
    """What a request asks the configurator to show."""

    selection: Selection
    error: str
    """Set when the request names ids of something else; the choices are then the defaults."""
    quantity: int
    view: int


def read_choices(spec: ConfiguratorSpec, params: Mapping[str, str]) -> ShopperChoices:
    """The shopper's choices, an error to show if they name ids of something else (the choices
    then fall back to the defaults), and the quantity (1 unless a valid one is asked for)."""
    try:
        selection, error = parse_selection(spec, params), ""
    except SelectionError as exc:
        selection, error = {}, str(exc)
    try:
        quantity = parse_quantity(params.get("quantity") or "1")
    except QuantityError:
        quantity = 1
    return ShopperChoices(selection, error, quantity, read_view(spec, params))


def read_view(spec: ConfiguratorSpec, params: Mapping[str, str]) -> int:
    """The view the shopper looks at; one this product does not have shows the main view."""
    try:
        return parse_view(spec, params.get(VIEW_PARAM))
    except CompositionError:
        return MAIN_VIEW


@dataclass(frozen=True, slots=True)
class ViewLink:
    """A tab under the preview: the page with this view (works without JavaScript) and the
    option-change fragment that switches to it in place."""

    view: ViewSpec
    page_url: str
    fragment_url: str


def _view_links(spec: ConfiguratorSpec, pairs: list[tuple[str, str]]) -> tuple[ViewLink, ...]:
    if len(spec.views) < 2:
        return ()
    return tuple(
        ViewLink(
            view,
            product_url(spec.slug, _with_view(pairs, view.id)),
            f"/products/{spec.slug}/configuration?{query_string(_with_view(pairs, view.id))}",
        )
        for view in spec.views
    )


def _with_view(pairs: list[tuple[str, str]], view: int) -> list[tuple[str, str]]:
    """A shared link keeps the view (the main view goes without saying)."""
    return [*pairs, (VIEW_PARAM, str(view))] if view != MAIN_VIEW else pairs


def configurator_context(
    spec: ConfiguratorSpec, params: Mapping[str, str], choices: ShopperChoices | None = None
) -> tuple[dict[str, Any], int]:
    """Resolve the shopper's choices; tampered ids fall back to the defaults with a 400.

    A configuration that cannot be bought right now is still a page (200) that says why, so
    that a shared link, a reload or the Back button always shows it. `choices`, when the
    caller already read them from `params`, are not read again.
    """
    selection, error, quantity, view = choices or read_choices(spec, params)
    status = 400 if error else 200
    configuration, rule_changes = nearest_build(spec, selection)
    decision = configuration.decide_add(quantity) if configuration.can_purchase else None
    pairs = _with_quantity(configuration.query_pairs(), quantity)
    context = {
        "spec": spec,
        "configuration": configuration,
        "error": error,
        "rule_changes": rule_changes,
        "quantity": quantity,
        "decision": decision,
        "availability_notices": availability_notices(configuration, quantity, decision),
        "share_url": product_url(spec.slug, _with_view(pairs, view)),
        "view": view,
        "view_name": (spec.view(view) or spec.views[0]).name,
        "view_links": _view_links(spec, pairs),
    }
    return context, status


PICTURE_FOR_A_YEAR = "public, max-age=31536000, immutable"
PICTURE_FOR_NOW = "public, max-age=300"
"""An address without the picture's current `v` (hand-made, or from before an image changed)
is answered with what the build looks like now, cached briefly; its ETag still saves the
download."""


def _build_picture(
    request: Request[Any, Any, Any], db: Session, slug: str, fmt: str
) -> Response[bytes]:
    """Unknown layers, options, sizes or views are a plain 400; a draft's picture is the
    signed-in merchant's only, like its page."""
    spec = viewable_spec_or_404(request, db, slug)
    params = {k: v for k, v in request.query_params.items()}
    try:
        selection = parse_selection(spec, params)
        width = parse_size(params.get(SIZE_PARAM))
        view = parse_view(spec, params.get(VIEW_PARAM))
    except (SelectionError, CompositionError) as exc:
        raise ClientException(str(exc)) from None
    images = layer_images(nearest_build(spec, selection)[0], view)
    key = composition_key(images, width, fmt)
    if not spec.published:
        cache_control = "private, no-store"
    elif is_current_version(key, params.get(VERSION_PARAM)):
        cache_control = PICTURE_FOR_A_YEAR
    else:
        cache_control = PICTURE_FOR_NOW
    headers = {"ETag": f'"{key}"', "Cache-Control": cache_control}
    if f'"{key}"' in request.headers.get("if-none-match", ""):
        return Response(content=b"", status_code=304, headers=headers)
    picture = compose(db, images, width, fmt)
    return Response(content=picture.data, media_type=picture.content_type, headers=headers)


def _recorded_picture(request: Request[Any, Any, Any], db: Session, fmt: str) -> Response[bytes]:
    """The picture an order recorded (`composition.recorded_picture_url`): a malformed list or
    size is a plain 400; an address the shop did not sign (any other list, order, size or
    format) a plain 403 before anything is read or drawn, so nobody can make it draw pictures
    of their choosing; an image not stored a 404."""
    params = request.query_params
    try:
        ids = parse_recorded_images(params.get(RECORDED_IMAGES_PARAM))
        width = parse_size(params.get(SIZE_PARAM))
    except CompositionError as exc:
        raise ClientException(str(exc)) from None
    if not is_signed_picture(picture_key(db), ids, width, fmt, params.get(SIGNATURE_PARAM)):
        raise PermissionDeniedException("That is not a picture of an order's build.")
    images = stored_images(db, ids)
    if images is None:
        raise NotFoundException("We could not find that picture.")
    key = composition_key(images, width, fmt)
    current = is_current_version(key, params.get(VERSION_PARAM))
    headers = {
        "ETag": f'"{key}"',
        "Cache-Control": PICTURE_FOR_A_YEAR if current else PICTURE_FOR_NOW,
    }
    if f'"{key}"' in request.headers.get("if-none-match", ""):
        return Response(content=b"", status_code=304, headers=headers)
    picture = compose(db, images, width, fmt)
    return Response(content=picture.data, media_type=picture.content_type, headers=headers)


class StorefrontController(Controller):
    @get("/", sync_to_thread=True)
    def index(self, request: Request[Any, Any, Any], db: DB) -> Template:
        products = list_products(db, published_only=True)
        specs = {p.id: spec_by_id(db, p.id) if p.id is not None else None for p in products}
        from_prices = {
            pid: cheapest_price(spec, purchasable_only=True)
            for pid, spec in specs.items()
            if spec is not None
        }
        default_builds = {
            pid: nearest_build(spec, {})[0] if spec is not None else None
            for pid, spec in specs.items()
        }
        context = {
            "products": products,
            "from_prices": from_prices,
            "default_builds": default_builds,
        }
        return render(request, "storefront/index.html", None, context)

    @get("/products/{slug:str}")
    async def product(
        self, request: Request[Any, Any, Any], db: DB, slug: FromPath[str]
    ) -> Template | Response[bytes]:
        params = {k: v for k, v in request.query_params.items()}
        if is_htmx(request):
            return await self._fragment(request, slug, params, compressed=False)
        return await sync_to_thread(self._page, request, db, slug, params)

    @get(
        "/products/{slug:str}/configuration",
        opt={"exclude_from_csrf": True, NO_COMPRESSION: True},
    )
    async def configuration(
        self, request: Request[Any, Any, Any], slug: FromPath[str]
    ) -> Response[bytes] | Redirect:
        """The option-change fragment alone (what the configurator form's htmx requests ask
        for); the address bar shows the product page's URL for the same choices."""
        params = {k: v for k, v in request.query_params.items()}
        if not is_htmx(request):
            return see_other(product_url(slug[:80], list(params.items())))
        return await self._fragment(request, slug, params, compressed=True)

    async def _fragment(
        self,
        request: Request[Any, Any, Any],
        slug: str,
        params: dict[str, str],
        *,
        compressed: bool,
    ) -> Response[bytes]:
        # The same for everyone who picks the same options: rendered and compressed once per
        # catalog version and stock of this product, then served from this worker's memory
        # after one small read of both.
        engine = request.app.state.engine
        looked_up: FrontLookup | None = request.scope.get("state", {}).get(FRONT_LOOKUP)
        if looked_up is not None and looked_up.slug == slug:
            # The layer in front (`fragment_front`) read all this for this very request.
            version, product, spec, choices = looked_up.found
        else:
            version, product = await current_versions(engine, clean_key(slug, 80))
            spec = cached_spec_by_slug(version, clean_key(slug, 80), product)
            choices = None
        if spec is None or not spec.published:
            # A draft is shown only to the signed-in merchant, and never from the cache.
            spec = await sync_to_thread(_load_spec, request, engine, slug)
            choices = None
        choices = choices or read_choices(spec, params)
        key = fragment_key(spec, product, choices)
        cached = cached_fragment(version, key) if spec.published else None
        if cached is None:
            cached = await sync_to_thread(_render_fragment, request, spec, choices)
            if cached.shared:
                _FRAGMENTS.put(version, key, cached)
        gzip = compressed and "gzip" in request.headers.get("accept-encoding", "")
        body, headers = cached.body_and_headers(gzip=gzip)
        if not cached.shared:
            headers["Cache-Control"] = "private, no-store"
        return Response(
            content=body, status_code=cached.status, media_type=MediaType.HTML, headers=headers
        )

    @staticmethod
    def _page(
        request: Request[Any, Any, Any], db: Session, slug: str, params: dict[str, str]
    ) -> Template:
        spec = published_in_memory(request.app.state.engine, slug) or viewable_spec_or_404(
            request, db, slug
        )
        context, status = configurator_context(spec, params)
        headers = {} if spec.published else {"Cache-Control": "private, no-store"}
        if params.get("added") == "none":
            context["result"] = None
            context["closed_notice"] = "Nothing was added: none are in stock right now."
        context["back_in_stock_options"] = back_in_stock_choices(spec)
        if params.get("back_in_stock") == "asked":
            context["back_in_stock_notice"] = BACK_IN_STOCK_ASKED
        return render(
            request,
            "storefront/product.html",
            None,
            context,
            status_code=status,
            headers=headers,
        )

    @post("/products/{slug:str}/configure", sync_to_thread=True)
    def configure(
        self, request: Request[Any, Any, Any], db: DB, slug: FromPath[str], data: FormData
    ) -> Template | Redirect:
        """No-JavaScript "Update preview": turn the form into a shareable URL (PRG)."""
        spec = viewable_spec_or_404(request, db, slug)
        params = {k: str(v) for k, v in data.items() if k.startswith("layer-")}
        try:
            selection = parse_selection(spec, params)
        except SelectionError:
            context, status = configurator_context(spec, params)
            return render(request, "storefront/product.html", None, context, status_code=status)
        configuration, changed = nearest_build(spec, selection)
        # A choice the rules take away: the page for what was asked says what changed.
        pairs = selection_to_pairs(selection) if changed else configuration.query_pairs()
        try:
            quantity = parse_quantity(str(data.get("quantity", "1")))
        except QuantityError:
            quantity = 1
        view = read_view(spec, {VIEW_PARAM: str(data.get(VIEW_PARAM, ""))})
        return see_other(product_url(spec.slug, _with_view(_with_quantity(pairs, quantity), view)))

    @get("/products/{slug:str}/build.webp", sync_to_thread=True, opt={NO_COMPRESSION: True})
    def build_webp(
        self, request: Request[Any, Any, Any], db: DB, slug: FromPath[str]
    ) -> Response[bytes]:
        """The picture of one build (see `core.composition`), as WebP."""
        return _build_picture(request, db, slug, "webp")

    @get("/products/{slug:str}/build.png", sync_to_thread=True, opt={NO_COMPRESSION: True})
    def build_png(
        self, request: Request[Any, Any, Any], db: DB, slug: FromPath[str]
    ) -> Response[bytes]:
        """The same picture as PNG, for link previews (`og:image`)."""
        return _build_picture(request, db, slug, "png")

    @get("/pictures/build.webp", sync_to_thread=True, opt={NO_COMPRESSION: True})
    def recorded_webp(self, request: Request[Any, Any, Any], db: DB) -> Response[bytes]:
        """The picture of a build as an order recorded it (its images at checkout), as WebP."""
        return _recorded_picture(request, db, "webp")

    @get("/pictures/build.png", sync_to_thread=True, opt={NO_COMPRESSION: True})
    def recorded_png(self, request: Request[Any, Any, Any], db: DB) -> Response[bytes]:
        """The same picture as PNG, for the order mails."""
        return _recorded_picture(request, db, "png")

    @get("/media/{image_id:str}/swatch.webp", sync_to_thread=True, opt={NO_COMPRESSION: True})
    def swatch(
        self, request: Request[Any, Any, Any], db: DB, image_id: FromPath[str]
    ) -> Response[bytes]:
        """An option's swatch: what its image paints, small (see `composer.swatch`)."""
        picture = swatch(db, path_id(image_id))
        if picture is None:
            raise NotFoundException("We could not find that image.")
        headers = {"ETag": f'"{picture.key}"', "Cache-Control": PICTURE_FOR_NOW}
        if picture.key.removeprefix("swatch-").startswith(request.query_params.get("v") or "-"):
            headers["Cache-Control"] = PICTURE_FOR_A_YEAR
        if f'"{picture.key}"' in request.headers.get("if-none-match", ""):
            return Response(content=b"", status_code=304, headers=headers)
        return Response(content=picture.data, media_type=picture.content_type, headers=headers)

    @get("/media/{image_id:str}", sync_to_thread=True)
    def media(self, db: DB, image_id: FromPath[str]) -> Response[bytes]:
        image = get_image(db, path_id(image_id))
        if image is None:
            raise NotFoundException("We could not find that image.")
        return Response(
            content=image.data,
            media_type=image.content_type,
            headers={
                "Cache-Control": "public, max-age=31536000, immutable",
                "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
                "X-Content-Type-Options": "nosniff",
            },
        )
