from allauth.account.adapter import DefaultAccountAdapter


class StaffOnlyAccountAdapter(DefaultAccountAdapter):
    """Staff accounts are created by administrators; the public never signs up."""

    def is_open_for_signup(self, request):
        return False
