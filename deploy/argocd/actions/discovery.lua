-- Argo CD resource actions for lambda.ephemeral.dev/LambdaInvocation: "invoke-now" runs the function
-- once more, as `kubectl annotate ... lambda.ephemeral.dev/invoke-requested-at=...` does. Disabled
-- while the resource is being deleted.
local actions = {}
actions["invoke-now"] = {["disabled"] = obj.metadata ~= nil and obj.metadata.deletionTimestamp ~= nil}
return actions
