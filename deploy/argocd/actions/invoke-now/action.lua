-- Sets the annotation lambda.ephemeral.dev/invoke-requested-at to the current UTC time (RFC 3339):
-- a new value is a trigger, so the operator invokes the function once more. Two clicks within the
-- same second set the same value and count as one request.
if obj.metadata.annotations == nil then
  obj.metadata.annotations = {}
end
obj.metadata.annotations["lambda.ephemeral.dev/invoke-requested-at"] = os.date("!%Y-%m-%dT%H:%M:%SZ")
return obj
