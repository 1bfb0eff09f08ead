"""What the generated client sends: the five seed operations, printed as they go on the wire.

No PBX is needed: an ``httpx.MockTransport`` stands in for one and answers with small, plausible bodies.
(The loopback XAPI test server will replace it; the requests printed here are exactly what a PBX receives.)
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import unquote

import httpx
from threecx_xapi_client import Client, registry
from threecx_xapi_client.api.backups import get_failover_scripts
from threecx_xapi_client.api.directories import get_directory_info
from threecx_xapi_client.api.peers import retreive_peers_by_numbers
from threecx_xapi_client.api.report_extension_statistics_by_group import get_extension_statistics_by_group_data
from threecx_xapi_client.api.users import export_extensions, get_user_by_number
from threecx_xapi_client.errors import UnexpectedStatus
from threecx_xapi_client.models import GetDirectoryInfoBody, RetreivePeersByNumbersBody

BASE = "https://pbx.example.com:5001/xapi/v1"


def answer(request: httpx.Request) -> httpx.Response:
    """Print the request, then answer like a PBX would."""
    line = f"{request.method} {unquote(request.url.raw_path.decode())}"
    print(f"  -> {line}")
    if request.content:
        print(f"     body {request.content.decode()}")
    path = request.url.path
    if "ExportExtensions" in path:
        users = [{"Id": 1, "Number": "100", "FirstName": "Ada"}, {"Id": 2, "Number": "101", "FirstName": "Linus"}]
        return httpx.Response(
            200, json={"@odata.context": f"{BASE}/$metadata#Users", "@odata.count": 2, "value": users}
        )
    if "GetFailoverScripts" in path:
        return httpx.Response(200, json={"value": [{"Name": "nightly backup.sh"}]})
    if "RetreivePeersByNumbers" in path:
        return httpx.Response(200, json={"value": [{"Id": 7, "Number": "1234", "Name": "Front desk"}]})
    if "GetDirectoryInfo" in path:
        return httpx.Response(200, json={"Files": ["recordings"], "Path": "/"})
    if "GetExtensionStatisticsByGroupData" in path:
        return httpx.Response(200, json={"value": [{"Dn": "100", "InboundAnsweredCount": 12}]})
    return httpx.Response(404, json={"error": {"code": "", "message": "No user with that number"}})


def main() -> None:
    client = Client(base_url=BASE).set_httpx_client(httpx.Client(base_url=BASE, transport=httpx.MockTransport(answer)))
    info = registry.document()
    print(f"threecx_xapi_client: {len(registry.operations())} operations, XAPI {info['xapi_version']}\n")

    print("Users / ExportExtensions with all eight OData options")
    page = export_extensions.sync(
        client=client,
        top=50,
        skip=0,
        search="front desk",
        filter_="State eq 'Connected'",
        count=True,
        select=["Id", "Number", "FirstName"],
        orderby=["Number desc"],
        expand=["Groups"],
    )
    print(f"  <- {page.odata_count} users: " + ", ".join(f"{u.number} {u.first_name}" for u in page.value))

    print("\nDirectories / GetDirectoryInfo (POST body)")
    info_body = GetDirectoryInfoBody.from_dict({"parameters": {"Filesystem": "Local", "Path": "/"}})
    print(f"  <- {get_directory_info.sync(client=client, body=info_body)}")

    print("\nBackups / GetFailoverScripts: the $search phrase is quoted because it has a space")
    scripts = get_failover_scripts.sync(client=client, top=10, skip=0, search="nightly backup", count=True)
    print(f"  <- {[s.additional_properties or s for s in scripts.value]}")

    print("\nPeers / RetreivePeersByNumbers")
    body = RetreivePeersByNumbersBody.from_dict({"peersRequest": {"DnNumbers": ["1234", "5678"]}})
    peers = retreive_peers_by_numbers.sync(client=client, body=body)
    print(f"  <- {[p.name for p in peers.value]}")

    print("\nReportExtensionStatisticsByGroup / GetExtensionStatisticsByGroupData: OData function literals")
    stats = get_extension_statistics_by_group_data.sync(
        "GRP0000",
        dt.datetime(2026, 3, 4, tzinfo=dt.timezone.utc),
        dt.datetime(2026, 3, 31, 23, 59, 59, tzinfo=dt.timezone.utc),
        0,
        client=client,
        top=100,
    )
    print(f"  <- {len(stats.value)} rows")

    print("\nAn alternate key with a quote in it, answered 404: the OData error is raised, not returned")
    try:
        get_user_by_number.sync("O'Brien", client=client)
    except UnexpectedStatus as exc:
        print(f"  <- {exc}")


if __name__ == "__main__":
    main()
