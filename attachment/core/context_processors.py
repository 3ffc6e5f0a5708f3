from attachment.core import roles as role_defs


def roles(request):
    user = getattr(request, "user", None)
    names = role_defs.roles_of(user) if user is not None else set()
    return {
        "user_roles": names,
        "is_coordinator": role_defs.COORDINATOR in names,
        "is_moa": bool(names & {role_defs.MOA, role_defs.PROVIDER, role_defs.CLINIC_LEAD}),
        "is_manager": role_defs.MANAGER in names,
        "is_administrator": role_defs.ADMINISTRATOR in names,
        "is_care_coordinator": role_defs.CARE_COORDINATOR in names,
    }
