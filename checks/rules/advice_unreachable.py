"""Advice for "Salesforce could not be reached", by whose side the missing answer is on.

Kept apart from :mod:`checks.rules.advice` (imported there into its table): three shapes of the
same cause, told apart by ``AdviceContext.unreachable`` (see :func:`checks.rules.causes.unreachable_side`).
"""

from __future__ import annotations

from checks.salesforce.hosts import LOGIN
from checks.rules.advice_model import Advice, AdviceContext
from checks.rules.setup_links import SetupPage, links_for


def unreachable_advice(ctx: AdviceContext) -> "Advice":
    """No usable answer: what to check and do, by whose side it is on (``ctx.unreachable``)."""
    if ctx.unreachable == "service":  # Salesforce answered, badly: nothing to change on either side
        return Advice(
            verify=(
                "Check status.salesforce.com for maintenance or an incident on the org's instance.",
                f"Open {ctx.login_url or 'https://' + LOGIN} in a browser: a maintenance page confirms it.",
            ),
            fix=(
                "Nothing to change: wait for Salesforce to come back; the automatic retests will tell.",
                "If only test.salesforce.com or login.salesforce.com is affected, the org's My Domain URL may "
                "still work.",
            ),
        )
    if ctx.unreachable in ("host", "unknown"):  # not proven to be either side: say so, change nothing yet
        return Advice(
            verify=("Check status.salesforce.com for an incident on the org's instance.",) + ((
                f"If {LOGIN} answers but {ctx.my_domain_url} does not, compare it with Setup → My Domain → "
                "\"Current My Domain URL\".",)
                if ctx.my_domain_url else ()),
            fix=(
                "Nothing in the org's configuration is in question yet: Salesforce, or the network between aprity "
                "and Salesforce, gave no answer in time. The automatic retests will tell when it answers again.",
                "If it keeps failing while status.salesforce.com shows no incident, have whoever runs aprity check "
                "its outbound HTTPS to *.salesforce.com.",
            ),
            links=links_for(ctx.my_domain_url, [SetupPage.MY_DOMAIN]),
        )
    return Advice(
        verify=(
            f"On the machine running aprity, check that {LOGIN} resolves and answers over HTTPS "
            f"(a browser or curl to https://{LOGIN} from that host); any HTTP answer means it is reachable.",
            "\"unable to get local issuer certificate\" means a proxy or TLS inspection (e.g. Zscaler) replaces "
            "Salesforce's certificate.",
            "If login.salesforce.com answers but the org's My Domain does not, compare the My Domain URL with "
            "Setup → My Domain → \"Current My Domain URL\".",
        ),
        fix=(
            "This is on the side of the machine running aprity, not the org: restore its DNS and outbound HTTPS to "
            "*.salesforce.com and *.force.com, or add the proxy's CA certificate to its trust store.",
            "The automatic retests will tell when Salesforce is reachable again.",
        ),
        links=links_for(ctx.my_domain_url, [SetupPage.MY_DOMAIN]),
        aprity_side=True,
    )
