-- Argo CD health check for lambda.ephemeral.dev/LambdaInvocation.
--
-- Healthy     Ready=True, and the condition was written for the current metadata.generation.
-- Progressing no status or no Ready condition yet; the status (or the Ready condition) is for an older
--             generation; Ready=Unknown; or Ready=False while a retry is under way: FunctionError,
--             Throttled, InvocationTimeout or InvocationFailed with status.nextRetryTime set.
-- Degraded    Ready=False for a reason that needs someone to act (or a reason this script does not know);
--             also those four reasons once the operator has stopped retrying (no status.nextRetryTime:
--             retries exhausted, or a failure not retried until the spec changes), or when the Stalled
--             condition is True although it retries (Lambda has throttled more calls in a row than there
--             are retries: a throttled call is retried until it runs), so a sync wave fails instead of
--             waiting for ever.
-- Suspended   Ready=False, reason Expired: the Secret's ttl ran out and the resource waits for a trigger.
-- Progressing, "Pending deletion", while the resource is being deleted (with spec.onDelete its finalizer
--             waits for the delete-time call, retries included): what Argo CD itself reports for any
--             resource with a deletionTimestamp, before it would run this script.
--
-- Argo CD runs this without the string and math libraries: plain Lua 5.1, base library only.

local hs = {}

-- Transient failures: Progressing while the operator will retry them, Degraded once it will not.
local retriedReasons = {
  FunctionError = true,
  Throttled = true,
  InvocationTimeout = true,
  InvocationFailed = true
}

-- Failures that need someone to act. FunctionNotFound, AccessDenied, KMSAccessDenied and SecretConflict
-- are retried slowly (every few minutes; status.nextRetryTime shows when) and stay Degraded: a retry alone will
-- not fix them.
local degradedReasons = {
  InvalidSpec = true,
  FunctionNotFound = true,
  AccessDenied = true,
  KMSAccessDenied = true,
  SecretConflict = true,
  ResultKeyMissing = true,
  ResultTooLarge = true,
  -- A ConfigMap or Secret that spec.payloadFrom reads is missing: nothing runs until it is created.
  InputMissing = true,
  -- No LambdaInvocationPolicy allows the function: an administrator's policy change brings it back.
  NotAllowed = true,
  -- The call succeeded, but its result does not meet spec.successCondition (a compliance gate said no):
  -- not retried until the next trigger, so a sync wave stops here instead of rolling out.
  ConditionNotMet = true
}

local suspendedReasons = {
  Expired = true
}

local function present(value)
  return value ~= nil and value ~= ""
end

-- The condition's message; its reason when the message is empty.
local function messageOf(condition, fallback)
  if present(condition.message) then
    return tostring(condition.message)
  end
  if present(condition.reason) then
    return tostring(condition.reason)
  end
  return fallback
end

local function result(status, message)
  hs.status = status
  hs.message = message
  return hs
end

-- Whether the Stalled condition is True: a person should act, whether or not a retry is pending.
local function stalled(status)
  if type(status.conditions) ~= "table" then
    return false
  end
  for _, condition in ipairs(status.conditions) do
    if type(condition) == "table" and condition.type == "Stalled" then
      return condition.status == "True"
    end
  end
  return false
end

local generation = nil
if type(obj.metadata) == "table" then
  generation = obj.metadata.generation
end

if type(obj.metadata) == "table" and present(obj.metadata.deletionTimestamp) then
  return result("Progressing", "Pending deletion")
end

local status = obj.status
if type(status) ~= "table" then
  return result("Progressing", "Waiting for the first invocation")
end

local ready = nil
if type(status.conditions) == "table" then
  for _, condition in ipairs(status.conditions) do
    if type(condition) == "table" and condition.type == "Ready" then
      ready = condition
      break
    end
  end
end

-- A status written for an older generation says nothing about the current spec: it comes first.
local function lags(observed)
  return generation ~= nil and observed ~= nil and observed ~= generation
end

local waitingForGeneration = "Waiting for the invocation of generation " .. tostring(generation)

if lags(status.observedGeneration) or (ready ~= nil and lags(ready.observedGeneration)) then
  return result("Progressing", waitingForGeneration)
end

if ready == nil then
  return result("Progressing", "Waiting for the first invocation")
end

local observed = ready.observedGeneration
if observed == nil then
  observed = status.observedGeneration
end
if generation ~= nil and observed == nil then
  -- Nothing says which generation the condition belongs to.
  return result("Progressing", waitingForGeneration)
end

if ready.status == "True" then
  return result("Healthy", messageOf(ready, "Ready"))
end

if ready.status == "False" then
  local reason = ready.reason
  if reason ~= nil and retriedReasons[reason] then
    if present(status.nextRetryTime) and not stalled(status) then
      return result("Progressing", messageOf(ready, "Retry pending"))
    end
    -- No retry pending (retries exhausted, or a failure that is not retried until the spec changes),
    -- or Lambda keeps throttling.
    return result("Degraded", messageOf(ready, "Not retried"))
  end
  if reason ~= nil and suspendedReasons[reason] then
    return result("Suspended", messageOf(ready, "Expired"))
  end
  if reason ~= nil and degradedReasons[reason] then
    return result("Degraded", messageOf(ready, "Not ready"))
  end
  -- A reason this script does not know yet.
  return result("Degraded", messageOf(ready, "Not ready"))
end

-- Ready=Unknown (or no status on the condition): an invocation is under way.
return result("Progressing", messageOf(ready, "Invocation under way"))
