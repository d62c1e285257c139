"""Emission, energy and material factors of the impact accounting, each with its source.

Seed sections refer to the Daoxian County Carbon Peak Action Plan (道政发〔2023〕11号); IPCC
2006 means the *2006 IPCC Guidelines for National Greenhouse Gas Inventories*. Values marked
*assumption* carry their reasoning here and in ``instances/daoxian/SOURCES.md``.
"""

from __future__ import annotations

DAYS_PER_YEAR = 365  # annualised figures are one plan day x 365 (every day like this one)

# --- transport fuels -------------------------------------------------------------------------
# Diesel: net calorific value IPCC 2006 Vol. 2 Ch. 1 Table 1.2 (gas/diesel oil, 43.0 TJ/Gg);
# CO2 IPCC 2006 Vol. 2 Ch. 3 Table 3.2.1 (74,100 kg/TJ); CH4 and N2O Table 3.2.2 (3.9 kg/TJ).
DIESEL_DENSITY_KG_PER_L = 0.84  # assumption: mid-range of automotive diesel, 0.81-0.85 kg/L
DIESEL_NCV_MJ_PER_KG = 43.0
DIESEL_CO2_KG_PER_TJ = 74_100.0
DIESEL_CH4_KG_PER_TJ = 3.9
DIESEL_N2O_KG_PER_TJ = 3.9
# LNG: natural gas NCV 48.0 TJ/Gg (Table 1.2), CO2 56,100 kg/TJ (Table 3.2.1),
# CH4 92 and N2O 3 kg/TJ for natural-gas vehicles (Table 3.2.2, CNG).
LNG_NCV_MJ_PER_KG = 48.0
LNG_CO2_KG_PER_TJ = 56_100.0
LNG_CH4_KG_PER_TJ = 92.0
LNG_N2O_KG_PER_TJ = 3.0
# 100-year global warming potentials, IPCC AR5 WG1 (2013) Table 8.7.
GWP_CH4 = 28.0
GWP_N2O = 265.0
# Chinese national grid average emission factor for 2022 (0.5703 t CO2/MWh), Ministry of Ecology
# and Environment, 关于做好2023—2025年发电行业企业温室气体排放报告管理有关工作的通知
# (环办气候函〔2023〕43号). Used for charging electric vehicles and for avoided generation.
GRID_KG_CO2_PER_KWH = 0.5703
GRID_SOURCE = "China national grid average 2022, MEE 环办气候函〔2023〕43号"


def _combustion_kg_co2e(mj: float, co2: float, ch4: float, n2o: float) -> float:
    """kg CO2e from burning ``mj`` megajoules with per-TJ factors (kg/TJ)."""
    return mj * 1e-6 * (co2 + GWP_CH4 * ch4 + GWP_N2O * n2o)


DIESEL_KG_CO2E_PER_L = _combustion_kg_co2e(
    DIESEL_DENSITY_KG_PER_L * DIESEL_NCV_MJ_PER_KG,
    DIESEL_CO2_KG_PER_TJ,
    DIESEL_CH4_KG_PER_TJ,
    DIESEL_N2O_KG_PER_TJ,
)
LNG_KG_CO2E_PER_KG = _combustion_kg_co2e(
    LNG_NCV_MJ_PER_KG, LNG_CO2_KG_PER_TJ, LNG_CH4_KG_PER_TJ, LNG_N2O_KG_PER_TJ
)
KG_CO2E_PER_UNIT = {  # per L diesel, per kg LNG, per kWh from the grid
    "diesel": DIESEL_KG_CO2E_PER_L,
    "lng": LNG_KG_CO2E_PER_KG,
    "electric": GRID_KG_CO2_PER_KWH,
}

# --- incineration ------------------------------------------------------------------------------
# Electricity sold per tonne incinerated: the national benchmark of 280 kWh on-grid per tonne of
# domestic waste, 国家发展改革委《关于完善垃圾焚烧发电价格政策的通知》(发改价格〔2012〕801号).
WTE_EXPORT_KWH_PER_T = 280.0
# Fossil CO2 of incineration, IPCC 2006 Vol. 5 Ch. 5 Eq. 5.1:
#   CO2 = sum_j (WF_j x dm_j x CF_j x FCF_j x OF) x 44/12   (per wet tonne)
# dm (dry-matter share), CF (carbon share of dry matter) and FCF (fossil share of carbon) are the
# IPCC 2006 Vol. 5 Ch. 2 Table 2.4 defaults; OF = 1 (Vol. 5 Ch. 5 Table 5.2, MSW).
# WF (wet composition of Daoxian's residual waste after kitchen-waste separation) is an
# *assumption*: shares within the ranges Chinese county-level composition surveys report
# (food still the largest part, plastics about a tenth, 15 % ash/earth/other inert).
WASTE_COMPOSITION: dict[str, tuple[float, float, float, float]] = {
    # fraction: (WF, dm, CF, FCF)
    "food": (0.50, 0.40, 0.38, 0.00),
    "paper": (0.12, 0.90, 0.46, 0.01),
    "plastics": (0.12, 1.00, 0.75, 1.00),
    "textiles": (0.04, 0.80, 0.50, 0.20),
    "wood": (0.02, 0.85, 0.50, 0.00),
    "rubber_leather": (0.01, 0.84, 0.67, 0.20),
    "glass": (0.02, 1.00, 0.00, 0.00),
    "metal": (0.02, 1.00, 0.00, 0.00),
    "other_inert": (0.15, 0.90, 0.03, 1.00),
}
INCINERATION_OXIDATION_FACTOR = 1.0
C_TO_CO2 = 44.0 / 12.0


def fossil_co2_t_per_t(composition: dict[str, tuple[float, float, float, float]]) -> float:
    """Fossil CO2 (t) per wet tonne incinerated, IPCC 2006 Vol. 5 Eq. 5.1."""
    fossil_c = sum(wf * dm * cf * fcf for wf, dm, cf, fcf in composition.values())
    return fossil_c * INCINERATION_OXIDATION_FACTOR * C_TO_CO2


INCINERATION_FOSSIL_CO2_T_PER_T = fossil_co2_t_per_t(WASTE_COMPOSITION)


def sorted_composition(
    sorted_out: dict[str, float],
) -> dict[str, tuple[float, float, float, float]]:
    """WASTE_COMPOSITION after households sort out ``sorted_out[material]`` of a material:
    the wet shares WF of what is left, renormalised to 1 (dm, CF, FCF unchanged)."""
    left = {
        name: row[0] * (1.0 - sorted_out.get(name, 0.0)) for name, row in WASTE_COMPOSITION.items()
    }
    total = sum(left.values())
    return {name: (left[name] / total, *row[1:]) for name, row in WASTE_COMPOSITION.items()}


# N2O and CH4 of incineration, IPCC 2006 Vol. 5 Ch. 5 defaults for municipal solid waste in a
# continuous stoker (grate) incinerator, per wet tonne: N2O 50 g/t ("continuous and
# semi-continuous incinerators"); CH4 0.2 kg/Gg = 0.0002 kg/t ("continuous incineration,
# stoker"). A grate plant fed around the clock is the continuous stoker type. The values and
# their row labels agree with an independent implementation of the same defaults; the table
# numbers (5.6 for N2O, 5.3 for CH4) are not checked against the Guidelines' text
# (instances/daoxian/SOURCES.md).
INCINERATION_N2O_KG_PER_T = 0.050
INCINERATION_CH4_KG_PER_T = 0.0002
INCINERATION_N2O_CO2E_T_PER_T = INCINERATION_N2O_KG_PER_T * GWP_N2O / 1000.0
INCINERATION_CH4_CO2E_T_PER_T = INCINERATION_CH4_KG_PER_T * GWP_CH4 / 1000.0

# --- landfill methane (the emergency outlet) -----------------------------------------------------
# Lifetime CH4 committed by a tonne landfilled today, IPCC 2006 Vol. 5 Ch. 3 mass balance
# (the decay the first-order-decay model spreads over the years, summed):
#   CH4 = DOC x DOCf x MCF x F x 16/12 x (1 - R) x (1 - OX)
# DOC per fraction (wet basis) from Vol. 5 Ch. 2 Table 2.4; DOCf 0.5 (Ch. 3, Eq. 3.5 default);
# MCF 1.0 for a managed anaerobic site (Table 3.1); F 0.5 (CH4 share of landfill gas); OX 0.1
# for a managed site covered with soil (Table 3.2). R = 0: *assumption*, no gas collection.
DOC_WET: dict[str, float] = {
    "food": 0.15,
    "paper": 0.40,
    "textiles": 0.24,
    "wood": 0.43,
    "rubber_leather": 0.39,
}
LANDFILL_DOCF = 0.5
LANDFILL_MCF = 1.0
LANDFILL_GAS_CH4_SHARE = 0.5
LANDFILL_OXIDATION = 0.1
LANDFILL_CH4_RECOVERY = 0.0
C_TO_CH4 = 16.0 / 12.0


def landfill_ch4_t_per_t(composition: dict[str, tuple[float, float, float, float]]) -> float:
    """Lifetime CH4 (t) per wet tonne landfilled, IPCC 2006 Vol. 5 Ch. 3 mass balance."""
    doc = sum(composition[name][0] * share for name, share in DOC_WET.items())
    return (
        doc
        * LANDFILL_DOCF
        * LANDFILL_MCF
        * LANDFILL_GAS_CH4_SHARE
        * C_TO_CH4
        * (1.0 - LANDFILL_CH4_RECOVERY)
        * (1.0 - LANDFILL_OXIDATION)
    )


LANDFILL_CO2E_T_PER_T = landfill_ch4_t_per_t(WASTE_COMPOSITION) * GWP_CH4

# --- bottom ash -> unfired slag bricks (seed 专栏12: 2100万块/年) ---------------------------------
# Bottom ash is 20-25 % of the wet mass fed to a grate incinerator (DOMAIN.md); 22 % is an
# *assumption* inside that range.
BOTTOM_ASH_FRACTION = 0.22
# One unfired brick of the standard size 240 x 115 x 53 mm (1.463 L) at ~1.9 kg/L: 2.8 kg
# (*assumption*); slag makes 65 % of its mass, cement, sand and water the rest (*assumption*).
BRICK_MASS_KG = 2.8
ASH_SHARE_OF_BRICK = 0.65
ASH_PER_BRICK_KG = BRICK_MASS_KG * ASH_SHARE_OF_BRICK
BRICK_LINE_BRICKS_PER_YEAR = 21_000_000.0  # seed 专栏12

# --- kitchen waste -> biogas electricity and grease (seed 专栏14 item 2) -------------------------
# All *assumptions* in the ranges reported for Chinese kitchen-waste anaerobic digestion plants:
BIOGAS_M3_PER_T = 75.0  # biogas per wet tonne of kitchen waste received
BIOGAS_METHANE_SHARE = 0.60
METHANE_LHV_KWH_PER_M3 = 35.8 / 3.6  # 35.8 MJ/m3 (lower heating value of methane, 0 degC)
GENSET_ELECTRIC_EFFICIENCY = 0.38  # gas-engine generator set
DIGESTER_OWN_USE_SHARE = 0.25  # electricity the centre uses itself (pumps, heating, mixing)
BIOGAS_EXPORT_KWH_PER_T = (
    BIOGAS_M3_PER_T
    * BIOGAS_METHANE_SHARE
    * METHANE_LHV_KWH_PER_M3
    * GENSET_ELECTRIC_EFFICIENCY
    * (1.0 - DIGESTER_OWN_USE_SHARE)
)
GREASE_RECOVERY_SHARE = 0.025  # crude grease recovered per wet tonne (oil separation)

# --- recyclables -> sorting and recycling centre (seed (六)4: 建设规范的回收网点和分拣中心) -------
# Share of what a sorting centre receives that leaves it as recycled material; the rest is
# sorting residue sent for incineration outside the plan. 0.9 is an *assumption*: household
# recyclables sorted at source carry a tenth or so of wrong items and dirt.
SORTING_RECOVERY_SHARE = 0.90
# Household food waste as a share of residual waste (wet), the share a kitchen-waste sorting rate
# (分类率) applies to: the food fraction of WASTE_COMPOSITION (*assumption*, as above).
RESIDUAL_FOOD_SHARE = WASTE_COMPOSITION["food"][0]
# Recyclable material (paper, plastics, glass, metal, textiles) as a share of residual waste,
# the share a recyclables sorting rate applies to (*assumption*, from WASTE_COMPOSITION).
RECYCLABLE_MATERIALS = ("paper", "plastics", "glass", "metal", "textiles")
RESIDUAL_RECYCLABLE_SHARE = sum(WASTE_COMPOSITION[name][0] for name in RECYCLABLE_MATERIALS)

# --- targets of the county plan (seed (六)4, for 2025) ------------------------------------------
HARMLESS_TREATMENT_TARGET = 1.00  # 城镇生活垃圾无害化处理率达到100%
RESOURCE_RECOVERY_TARGET = 0.65  # 生活垃圾资源化比例提升至65%以上
