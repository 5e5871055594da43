@{
    RootModule           = 'PermWatch.psm1'
    ModuleVersion        = '0.1.0'
    GUID                 = '6f0f3c7e-2b1d-4a59-9d0e-5c6a4e8b7d21'
    Author               = 'PermWatch'
    Description          = 'PermWatch from PowerShell: status, the cluster pre-flight, the journal, repair and rollback as objects, and the cluster-wide install. Wraps permwatch.exe --json.'
    PowerShellVersion    = '5.1'
    CompatiblePSEditions = @('Desktop', 'Core')
    FormatsToProcess     = @('PermWatch.format.ps1xml')
    # Explicit, so that nothing private is ever exported by a wildcard.
    FunctionsToExport    = @(
        'Get-PermWatchStatus'
        'Get-PermWatchClusterStatus'
        'Test-PermWatchCluster'
        'Get-PermWatchJournal'
        'Invoke-PermWatchRepair'
        'Restore-PermWatchKey'
        'Install-PermWatch'
    )
    CmdletsToExport      = @()
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{ PSData = @{ Tags = @('Registry', 'ACL', 'FailoverCluster') } }
}
