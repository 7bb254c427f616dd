@onboarding
Feature: Onboarding — IC parameters and IC public keys
  A chip terminal selects an application only among the AIDs its acquirer downloaded to it and
  authenticates card data with the acquirer's IC public keys (CAPKs). It downloads both lists after
  signing on when it does not hold them, and again whenever a reply asks (header digit 6: 4 = update
  the public keys, 5 = download the IC parameters; cup8583.md §1.1, §3.5): a query (0820 60.3 372 /
  382), every entry of the list (0800 370 / 380), the end (0800 371 / 381), without a MAC (§3.1).
  While the new lists cannot be downloaded, the terminal does with the superseded ones what its profile
  declares (supersededIcLists; the reference allows both): 'not-used' reads no chip until the new
  lists are in and says so; 'used-until-replaced' keeps its previous lists and tries the download again
  before each chip read. Neither falls back to the magnetic stripe.

  @CUP-ONB-014 @severity:critical @mandatory
  Scenario: After sign-on the terminal loads every IC public key and IC parameter the acquirer announces
    Given the host has new IC parameters and public keys for the terminal
    When the operator signs on
    Then the screen shows "签到成功"
    And the terminal downloaded every IC public key and IC parameter

  @CUP-ONB-015 @severity:blocker @mandatory @contact
  Scenario: While the new IC lists cannot be downloaded, a chip card is read only as the terminal declares and never by its magnetic stripe
    Given the host has new IC parameters and public keys for the terminal
    And the host refuses IC parameter downloads
    When the operator signs on
    And a sale of 1.00 is made with card UP-DEBIT-IC by inserting
    Then the chip sale is handled as the terminal declares for superseded IC lists

  @CUP-ONB-016 @severity:critical @mandatory @contact
  Scenario: A reply asking for new IC parameters makes the terminal load them before its next chip read
    Given the host has new IC parameters and public keys for the terminal
    When a sale of 1.00 is made with card UP-DEBIT-IC by inserting
    And a sale of 2.00 is made with card UP-DEBIT-IC by inserting
    Then the terminal downloaded every IC public key and IC parameter
    And the terminal downloaded them before its last sale request
