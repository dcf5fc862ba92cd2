"""Who takes part in the country demo: the Government Office, ministries, provinces and their units."""

from __future__ import annotations

from dataclasses import dataclass, field

# Codes follow Decision 20's form (NNN.NN.NN.XNN); the level-1 letters and numbers are illustrative.


@dataclass(frozen=True)
class Unit:
    """A unit under a level-1 body: it has no system of its own, its body's gateway serves it."""

    code: str
    name: str


@dataclass(frozen=True)
class Body:
    """A level-1 body with its own gateway (and its own system at the hub)."""

    code: str
    name: str
    short: str  # the notation's issuer part: BTTTT, UBND…
    system_id: str
    signer: str
    position: str
    units: tuple[Unit, ...] = field(default=())
    sdk: bool = False  # its gateway speaks today's SDK protocol instead of the JSON API

    @property
    def codes(self) -> tuple[str, ...]:
        return (self.code, *(u.code for u in self.units))

    @property
    def mailbox(self) -> str:
        return f"vanthu@{self.system_id.split('.')[0]}.gov.vn.test"


def _province(number: str, province: str, system: str, signer: str, *, sdk: bool = False) -> Body:
    code = f"000.00.00.H{number}"
    units = (
        Unit(f"000.00.01.H{number}", f"Sở Nội vụ {province}"),
        Unit(f"000.00.14.H{number}", f"Sở Thông tin và Truyền thông {province}"),
        Unit(f"000.00.31.H{number}", f"Ủy ban nhân dân huyện thứ nhất, {province}"),
        Unit(f"000.00.32.H{number}", f"Ủy ban nhân dân huyện thứ hai, {province}"),
    )
    return Body(code, f"Ủy ban nhân dân {province}", "UBND", system, signer, "Chủ tịch", units, sdk=sdk)


def _ministry(number: str, name: str, short: str, system: str, signer: str) -> Body:
    units = (
        Unit(f"000.00.01.G{number}", f"Văn phòng {name}"),
        Unit(f"000.00.04.G{number}", f"Vụ Pháp chế, {name}"),
    )
    return Body(f"000.00.00.G{number}", name, short, system, signer, "Bộ trưởng", units)


GOVERNMENT_OFFICE = Body(
    "000.00.00.G22",
    "Văn phòng Chính phủ",
    "VPCP",
    "vpcp.qlvb",
    "Trần Văn Sơn",
    "Bộ trưởng, Chủ nhiệm",
    (Unit("000.00.05.G22", "Cục Kiểm soát thủ tục hành chính"),),
)
MINISTRIES = (
    _ministry("13", "Bộ Thông tin và Truyền thông", "BTTTT", "bttt.qlvb", "Nguyễn Mạnh Hùng"),
    _ministry("09", "Bộ Tài chính", "BTC", "btc.qlvb", "Hồ Đức Phớc"),
    _ministry("10", "Bộ Nội vụ", "BNV", "bnv.qlvb", "Phạm Thị Thanh Trà"),
    _ministry("12", "Bộ Tư pháp", "BTP", "btp.qlvb", "Lê Thành Long"),
    _ministry("17", "Bộ Xây dựng", "BXD", "bxd.qlvb", "Nguyễn Thanh Nghị"),
)
PROVINCES = (
    _province("41", "tỉnh Nghệ An", "nghean.qlvb", "Nguyễn Đức Trung"),
    _province("14", "tỉnh Cao Bằng", "caobang.qlvb", "Hoàng Xuân Ánh"),
    _province("29", "Thành phố Hồ Chí Minh", "hcm.qlvb", "Phan Văn Mãi"),
    _province("47", "tỉnh Quảng Nam", "quangnam.qlvb", "Lê Trí Thanh", sdk=True),
    _province("17", "Thành phố Đà Nẵng", "danang.qlvb", "Lê Trung Chinh"),
    _province("26", "Thành phố Hà Nội", "hanoi.qlvb", "Trần Sỹ Thanh"),
)
EVERYONE = (GOVERNMENT_OFFICE, *MINISTRIES, *PROVINCES)


def cast(agencies: int) -> tuple[Body, ...]:
    """The first ``agencies`` level-1 bodies (at least four, so every scene has its players)."""
    if not 4 <= agencies <= len(EVERYONE):
        raise ValueError(f"--agencies must be between 4 and {len(EVERYONE)}")
    chosen = list(EVERYONE[:agencies])
    # The SDK-protocol province always takes part: today's clients are part of the story.
    sdk = next(b for b in EVERYONE if b.sdk)
    if sdk not in chosen:
        chosen[-1] = sdk
    return tuple(chosen)
