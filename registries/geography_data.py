"""British Columbia's regional health authorities, divisions of family practice, PCNs and
communities, as seeded into a new installation. Loaded by migration registries 0003."""

# {health authority: (code, {division: {pcn: [communities]}})}
BC_GEOGRAPHY = {
    "Interior Health": ("interior", {
        "Thompson Region Division of Family Practice": {
            "Kamloops PCN": ["Kamloops", "Chase", "Barriere", "Logan Lake"],
        },
        "Central Okanagan Division of Family Practice": {
            "Central Okanagan PCN": ["Kelowna", "West Kelowna", "Lake Country", "Peachland"],
        },
        "South Okanagan Similkameen Division of Family Practice": {
            "South Okanagan Similkameen PCN": ["Penticton", "Summerland", "Oliver", "Osoyoos", "Princeton"],
        },
        "Shuswap North Okanagan Division of Family Practice": {
            "North Okanagan PCN": ["Vernon", "Armstrong", "Lumby"],
            "Shuswap PCN": ["Salmon Arm", "Sicamous", "Enderby"],
        },
        "East Kootenay Division of Family Practice": {
            "East Kootenay PCN": ["Cranbrook", "Kimberley", "Fernie", "Invermere", "Golden"],
        },
        "Kootenay Boundary Division of Family Practice": {
            "Kootenay Boundary PCN": ["Nelson", "Trail", "Castlegar", "Grand Forks", "Rossland"],
        },
        "Rural and Remote Division of Family Practice": {
            "Cariboo-Chilcotin PCN": ["Williams Lake", "100 Mile House"],
            "Merritt PCN": ["Merritt", "Lillooet", "Clearwater"],
        },
    }),
    "Fraser Health": ("fraser", {
        "Surrey-North Delta Division of Family Practice": {
            "Surrey-North Delta PCN": ["Surrey", "North Delta"],
        },
        "White Rock-South Surrey Division of Family Practice": {
            "White Rock-South Surrey PCN": ["White Rock", "South Surrey"],
        },
        "Burnaby Division of Family Practice": {"Burnaby PCN": ["Burnaby"]},
        "Fraser Northwest Division of Family Practice": {
            "Fraser Northwest PCN": ["New Westminster", "Coquitlam", "Port Coquitlam", "Port Moody"],
        },
        "Ridge Meadows Division of Family Practice": {"Ridge Meadows PCN": ["Maple Ridge", "Pitt Meadows"]},
        "Langley Division of Family Practice": {"Langley PCN": ["Langley"]},
        "Abbotsford Division of Family Practice": {"Abbotsford PCN": ["Abbotsford"]},
        "Mission Division of Family Practice": {"Mission PCN": ["Mission"]},
        "Chilliwack Division of Family Practice": {"Chilliwack PCN": ["Chilliwack", "Agassiz", "Hope"]},
        "Delta Division of Family Practice": {"Delta PCN": ["Ladner", "Tsawwassen"]},
    }),
    "Vancouver Coastal Health": ("vch", {
        "Vancouver Division of Family Practice": {
            "Vancouver City Centre PCN": ["Vancouver"],
        },
        "Richmond Division of Family Practice": {"Richmond PCN": ["Richmond"]},
        "North Shore Division of Family Practice": {"North Shore PCN": ["North Vancouver", "West Vancouver"]},
        "Sea to Sky Division of Family Practice": {"Sea to Sky PCN": ["Squamish", "Whistler", "Pemberton"]},
        "Sunshine Coast Division of Family Practice": {"Sunshine Coast PCN": ["Sechelt", "Gibsons"]},
        "qathet Division of Family Practice": {"qathet PCN": ["Powell River"]},
    }),
    "Island Health": ("island", {
        "South Island Division of Family Practice": {
            "Western Communities PCN": ["Langford", "Colwood", "Sooke"],
            "Saanich Peninsula PCN": ["Sidney", "Central Saanich"],
        },
        "Victoria Division of Family Practice": {"Victoria PCN": ["Victoria", "Esquimalt", "Oak Bay"]},
        "Cowichan Valley Division of Family Practice": {"Cowichan PCN": ["Duncan", "Ladysmith", "Lake Cowichan"]},
        "Nanaimo Division of Family Practice": {"Nanaimo PCN": ["Nanaimo", "Gabriola"]},
        "Oceanside Division of Family Practice": {"Oceanside PCN": ["Parksville", "Qualicum Beach"]},
        "Comox Valley Division of Family Practice": {"Comox Valley PCN": ["Courtenay", "Comox", "Cumberland"]},
        "Campbell River Division of Family Practice": {"Campbell River PCN": ["Campbell River"]},
        "Pacific Northwest Division of Family Practice": {
            "North Island PCN": ["Port Hardy", "Port McNeill"],
            "Alberni-Clayoquot PCN": ["Port Alberni", "Tofino", "Ucluelet"],
        },
    }),
    "Northern Health": ("northern", {
        "Prince George Division of Family Practice": {"Prince George PCN": ["Prince George", "Mackenzie"]},
        "Northern Interior Rural Division of Family Practice": {
            "Northern Interior Rural PCN": ["Vanderhoof", "Fort St. James", "Burns Lake", "Quesnel"],
        },
        "Northeast Division of Family Practice": {
            "Northeast PCN": ["Fort St. John", "Dawson Creek", "Chetwynd", "Fort Nelson"],
        },
        "Northwest Division of Family Practice": {
            "Northwest PCN": ["Terrace", "Prince Rupert", "Kitimat", "Smithers", "Haida Gwaii"],
        },
    }),
}


def iter_geography():
    """(health authority, code, division, pcn, community) for every seeded community."""
    for ha, (code, divisions) in BC_GEOGRAPHY.items():
        for division, pcns in divisions.items():
            for pcn, communities in pcns.items():
                for community in communities:
                    yield ha, code, division, pcn, community


def load(HealthAuthority, Division, PCN, Community):
    """Create whatever of the seeded geography is missing (models passed in, so migrations can use it)."""
    from django.utils.text import slugify

    for ha_name, code, division_name, pcn_name, community_name in iter_geography():
        ha, _ = HealthAuthority.objects.get_or_create(name=ha_name, defaults={"code": code})
        division, _ = Division.objects.get_or_create(
            name=division_name, defaults={"slug": slugify(division_name), "health_authority": ha}
        )
        pcn, _ = PCN.objects.get_or_create(name=pcn_name, defaults={"division": division})
        Community.objects.get_or_create(name=community_name, defaults={"division": division, "pcn": pcn})
