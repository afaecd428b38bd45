"""Any saved or deleted electrical element bumps its network's revision, whoever changed it (a
service, the admin, a shell), so that model caches keyed on the revision are rebuilt. Bulk
imports create a new network (revision 1) and need no bump."""
from django.db.models import F
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import Bus, DERAsset, ExternalGrid, Line, Load, Network, Shunt, Switch, Transformer

ELECTRICAL = (Bus, Line, Transformer, Switch, ExternalGrid, Shunt, Load, DERAsset)


@receiver(post_save)
@receiver(post_delete)
def bump_network_revision(sender, instance, **kwargs) -> None:
    if sender in ELECTRICAL and not kwargs.get("raw"):
        Network.objects.filter(pk=instance.network_id).update(revision=F("revision") + 1)
