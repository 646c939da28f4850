// Durable Task Data Contributor on the scheduler for the app identity and, when given, the
// deploying user (for the scheduler dashboard), as app/dts-Access.bicep in
// Azure-Samples/durable-functions-quickstart-typescript-azd. Plain resources: a role assignment
// scoped to one resource has no AVM resource module of its own.
param schedulerName string
param managedIdentityPrincipalId string
@description('Deploying user; empty = no user assignment.')
param userIdentityPrincipalId string = ''
param roleDefinitionId string

resource scheduler 'Microsoft.DurableTask/schedulers@2026-02-01' existing = {
  name: schedulerName
}

resource identityAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(scheduler.id, managedIdentityPrincipalId, roleDefinitionId)
  scope: scheduler
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleDefinitionId)
    principalId: managedIdentityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource userAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(userIdentityPrincipalId)) {
  name: guid(scheduler.id, userIdentityPrincipalId, roleDefinitionId)
  scope: scheduler
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleDefinitionId)
    principalId: userIdentityPrincipalId
    principalType: 'User'
  }
}
