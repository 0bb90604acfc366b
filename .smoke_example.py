from adapters.base import RegistryConfig
from clearinghouse.system import EmbeddedSystem

s = EmbeddedSystem()
ch = s.clearinghouse
ch.register_party(
    {
        "code": "CN",
        "name": "China",
        "ndc": {"type": "intensity", "period": "single-year", "target_years": [2030]},
    }
)
ch.register_party(
    {
        "code": "KR",
        "name": "Korea",
        "ndc": {"type": "bau_relative", "period": "single-year", "target_years": [2030]},
    }
)
cn = s.add_registry(RegistryConfig("CN_ETS", "China national ETS", "CN", ("CEA",)))
kr = s.add_registry(RegistryConfig("KR_ETS", "K-ETS", "KR", ("KAU",)))
ch.grant_authorization(
    {
        "code": "CN-2025-1",
        "party": "CN",
        "cooperative_approach": "CNKR",
        "unit_types": ["CEA"],
        "vintages": [2024, 2030],
        "cap": 5000,
        "purposes": "ndc_and_oimp",
        "first_transfer": "first_international_transfer",
        "authorized_on": "2025-01-01",
    }
)
ch.conclude_agreement(
    {
        "code": "CN_KR",
        "jurisdictions": ["CN_ETS", "KR_ETS"],
        "directions": [{"source": "CN_ETS", "destination": "KR_ETS", "unit_types": ["CEA"]}],
        "limits": [{"jurisdiction": "KR_ETS", "flow": "import", "tonnes": 3000}],
        "effective_from": "2025-01-01",
        "authorized": True,
        "cooperative_approach": "CNKR",
    }
)
cn.open_account({"account": "MEE", "holder": "MEE"})
cn.open_account({"account": "HUANENG", "holder": "Huaneng"})
kr.open_account({"account": "POSCO", "holder": "POSCO"})
print(
    s.do(
        "CN_ETS",
        "issue",
        {
            "transaction_id": "i1",
            "business_date": "2025-03-01",
            "account": "MEE",
            "unit_type": "CEA",
            "vintage": 2025,
            "quantity": 10000,
        },
    )
)
print(
    s.do(
        "CN_ETS",
        "transfer",
        {
            "transaction_id": "t1",
            "business_date": "2025-03-02",
            "account": "MEE",
            "to_account": "HUANENG",
            "quantity": 8000,
        },
    )
)
print(
    s.do(
        "CN_ETS",
        "transfer_abroad",
        {
            "transaction_id": "x1",
            "business_date": "2025-04-01",
            "account": "HUANENG",
            "to_registry": "KR_ETS",
            "to_account": "POSCO",
            "quantity": 2000,
        },
    )
)
print(
    s.do(
        "CN_ETS",
        "transfer_abroad",
        {
            "transaction_id": "x2",
            "business_date": "2025-04-02",
            "account": "HUANENG",
            "to_registry": "KR_ETS",
            "to_account": "POSCO",
            "quantity": 2000,
        },
    )
)
print(
    s.do(
        "KR_ETS",
        "surrender",
        {
            "transaction_id": "s1",
            "business_date": "2025-06-30",
            "account": "POSCO",
            "quantity": 500,
        },
    )
)
print(kr.account("POSCO").available, kr.account("SURRENDER").available)
print(cn.account("HUANENG").available)
t = ch.transaction("x1")
print(t.state, t.adjustments)
print(ch.transaction("s1").adjustments)
print(ch.ledger("CN_ETS", "CEA").entries)
